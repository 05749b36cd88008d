/**
 * The ledger's {@link ScriptEngine} over the in-repo Michelson typechecker and interpreter
 * (`../michelson/index.ts`).
 */
import { packDataBytes } from "@taquito/michel-codec";
import type { MichelsonData } from "@taquito/michel-codec";
import {
  MichelsonTypeError,
  execute,
  normalizeData,
  parseScript,
  resolveEntrypoint,
  toRpcErrors,
  typecheckData,
  typecheckScript,
} from "../michelson/index.js";
import type { InternalOperation, Micheline, TypedScript } from "../michelson/index.js";
import { PROTOCOL_ERROR_PREFIX } from "./constants.js";
import type { EmittedOperation, LoadedScript, RunContext, RunResult, ScriptEngine } from "./engine.js";
import type { NodeError } from "./errors.js";

function typed(script: LoadedScript): TypedScript {
  return script.compiled as TypedScript;
}

function entrypointName(name: string): string {
  return name === "" ? "default" : name;
}

function emitted(op: InternalOperation): EmittedOperation {
  switch (op.kind) {
    case "transaction":
      return {
        kind: "transaction",
        destination: op.destination,
        entrypoint: entrypointName(op.entrypoint),
        parameter: op.parameter,
        amount: op.amount,
      };
    case "delegation":
      return { kind: "delegation", delegate: op.delegate };
    case "origination":
      return {
        kind: "origination",
        address: op.address,
        code: op.script.code as Micheline,
        storage: op.script.storage,
        balance: op.balance,
        delegate: op.delegate,
      };
    case "event":
      return { kind: "event", tag: op.tag ?? "", type: op.type, payload: op.payload };
  }
}

/** Creates the engine; scripts are typechecked once at origination and cached in the ledger. */
export function createMichelsonEngine(): ScriptEngine {
  return {
    load(code: Micheline): LoadedScript {
      const t = typecheckScript(parseScript(code));
      return { parameterType: t.parameterType, storageType: t.storageType, compiled: t };
    },
    checkStorage(script, storage) {
      return normalizeData(script.storageType, storage, "readable");
    },
    checkParameter(script, entrypoint, parameter) {
      const ep = resolveEntrypoint(script.parameterType, entrypoint);
      if (ep === null) {
        throw new MichelsonTypeError("invalid_entrypoint", `no entrypoint %${entrypoint}`, {
          value: entrypoint,
        });
      }
      typecheckData(ep.type, parameter);
      return parameter;
    },
    entrypoints(script) {
      return { ...typed(script).entrypoints };
    },
    entrypointType(script, entrypoint) {
      return resolveEntrypoint(script.parameterType, entrypoint)?.type;
    },
    run(script, entrypoint, parameter, storage, ctx: RunContext): RunResult {
      const result = execute(
        typed(script),
        { entrypoint, parameter, storage },
        {
          self: ctx.self,
          sender: ctx.sender,
          source: ctx.source,
          amount: ctx.amount,
          balance: ctx.balance,
          now: ctx.now,
          level: BigInt(ctx.level),
          chainId: ctx.chainId,
          getContract: (address) => {
            const found = ctx.getContract(address);
            return found === null ? null : typed(found);
          },
          nextOriginatedAddress: ctx.nextOriginatedAddress,
          // The interpreter counts whole gas units; the ledger accounts in milligas.
          gasLimit: ctx.milligasLimit / 1000n,
        },
      );
      return {
        storage: result.storage,
        operations: result.operations.map(emitted),
        milligas: result.gasConsumed * 1000n,
      };
    },
    codeSize(script) {
      return BigInt(typed(script).sizeBytes);
    },
    storageSize(script, storage) {
      const optimized = normalizeData(script.storageType, storage, "optimized");
      // PACK is 0x05 followed by the binary Micheline encoding.
      return BigInt(packDataBytes(optimized as MichelsonData).bytes.length / 2 - 1);
    },
    toErrors(err, contract): NodeError[] {
      return toRpcErrors(err, {
        protocol: PROTOCOL_ERROR_PREFIX,
        ...(contract !== undefined ? { contract } : {}),
      });
    },
  };
}
