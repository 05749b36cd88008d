/**
 * Running a typechecked script: entrypoint resolution, parameter and storage typechecking, the
 * compiled code, and unparsing of the resulting storage and internal operations.
 */
import { MichelsonRuntimeError, MichelsonTypeError } from "./errors.js";
import { parseMichelson, prim } from "./micheline.js";
import type { Micheline } from "./micheline.js";
import { parseData, unparseData } from "./values.js";
import type { OperationV, UnparsingMode, V } from "./values.js";
import type { Runtime, TcContext } from "./typecheck.js";
import { contractEntrypointType } from "./typecheck.js";
import { parseScript, typecheckScript } from "./script.js";
import type { TypedScript } from "./script.js";
import { resolveEntrypointTy } from "./entrypoints.js";
import { bigMapIds, commitBigMaps, loadBigMap } from "./bigmaps.js";
import type { BigMapStore, BigMapUpdate } from "./bigmaps.js";
import { chainIdToBytes, decodeAddress, originatedAddress } from "./encoding.js";

export type { UnparsingMode };

/** Default per-operation gas limit, in this interpreter's gas units (see README: not protocol gas). */
export const DEFAULT_GAS_LIMIT = 1_040_000n;

/**
 * What the script sees of the chain. `balance` is the contract's balance *including* the amount
 * being transferred (as the protocol credits it before running the code).
 */
export interface ExecutionContext {
  /** The running contract (KT1). */
  readonly self: string;
  /** Immediate caller (tz or KT1). */
  readonly sender: string;
  /** Signer of the external operation (tz). */
  readonly source: string;
  readonly amount: bigint;
  readonly balance: bigint;
  /** Block timestamp, seconds since epoch. */
  readonly now: bigint;
  readonly level: bigint;
  /** `Net...` chain id. */
  readonly chainId: string;
  /** Typechecked script of an originated contract, or null if there is no contract there. */
  getContract?(address: string): TypedScript | null;
  /** Script, storage and balance of a contract, for on-chain views (VIEW); null if none. */
  getContractState?(address: string): { script: TypedScript; storage: Micheline; balance: bigint } | null;
  /** Address of the next contract originated by CREATE_CONTRACT (the ledger's nonce). */
  nextOriginatedAddress?(): string;
  votingPower?(keyHash: string): bigint;
  /**
   * The protocol's address registry (INDEX_ADDRESS / GET_ADDRESS_INDEX): the index of an address,
   * allocating the next one when `allocate` is true and the address is new; null if unknown.
   */
  addressIndex?(address: string, allocate: boolean): bigint | null;
  readonly totalVotingPower?: bigint;
  readonly minBlockTime?: bigint;
  /**
   * Where big maps live. With a store, storage big maps are read by id and written back by id
   * (see `ExecutionResult.bigMaps`); without one, big maps stay inline in storage.
   */
  readonly bigMaps?: BigMapStore;
  /** Gas limit in this interpreter's units; default {@link DEFAULT_GAS_LIMIT}. */
  readonly gasLimit?: bigint;
}

interface OpBase {
  /** The contract that emitted the operation. */
  readonly source: string;
}
export interface TransactionOperation extends OpBase {
  readonly kind: "transaction";
  readonly destination: string;
  /** Entrypoint name, "default" when none. */
  readonly entrypoint: string;
  readonly amount: bigint;
  /** Parameter in optimized form, of type `parameterType`. */
  readonly parameter: Micheline;
  readonly parameterType: Micheline;
}
export interface DelegationOperation extends OpBase {
  readonly kind: "delegation";
  readonly delegate: string | null;
}
export interface OriginationOperation extends OpBase {
  readonly kind: "origination";
  /** The address obtained from `ctx.nextOriginatedAddress()`. */
  readonly address: string;
  readonly balance: bigint;
  readonly delegate: string | null;
  readonly script: { readonly code: readonly Micheline[]; readonly storage: Micheline };
}
export interface EventOperation extends OpBase {
  readonly kind: "event";
  readonly tag: string | null;
  readonly type: Micheline;
  readonly payload: Micheline;
}
/** An internal operation emitted by a script, to be applied by the ledger in list order. */
export type InternalOperation =
  | TransactionOperation
  | DelegationOperation
  | OriginationOperation
  | EventOperation;

export interface ExecutionRequest {
  /** Entrypoint name; "default" (or omitted) for the default entrypoint. */
  readonly entrypoint?: string;
  /** Parameter value, of the entrypoint's type. */
  readonly parameter: Micheline;
  /** Current storage, of the storage type. */
  readonly storage: Micheline;
  /** Output form of the new storage; default `readable`. */
  readonly mode?: UnparsingMode;
}

export interface ExecutionResult {
  readonly storage: Micheline;
  readonly operations: readonly InternalOperation[];
  /** Gas consumed, in this interpreter's units. */
  readonly gasConsumed: bigint;
  /** With a big-map store: the full content of every big map of the new storage, to persist. */
  readonly bigMaps: readonly BigMapUpdate[];
  /** With a big-map store: ids the contract owned before the call and no longer references. */
  readonly removedBigMaps: readonly bigint[];
}

/**
 * Runs a typechecked script once.
 *
 * @throws {MichelsonTypeError} `MICHELSON_INVALID_ENTRYPOINT` for an unknown entrypoint,
 *   `MICHELSON_ILL_TYPED_DATA` for a parameter or storage of the wrong type.
 * @throws {MichelsonRuntimeError} when the script fails: `kind` is `failwith` (value in `with`),
 *   `overflow`, `tez_*`, `gas_exhausted`...; see {@link toRpcErrors} for the node's JSON form.
 * @example
 * const r = execute(typed, { entrypoint: "set_delegate", parameter: { prim: "None" }, storage }, ctx);
 */
export function execute(script: TypedScript, req: ExecutionRequest, ctx: ExecutionContext): ExecutionResult {
  const c = script.compiled;
  const epName = req.entrypoint === undefined || req.entrypoint === "default" ? "" : req.entrypoint;
  const ep = resolveEntrypointTy(c.parameter, epName);
  if (ep === null) {
    throw new MichelsonTypeError("invalid_entrypoint", `no entrypoint %${epName} in this contract`, {
      value: epName,
    });
  }
  const self = decodeAddress(ctx.self);
  const rtBase = {
    ctx,
    self,
    selfType: c.parameter,
  };
  const tc = runtimeTypecheckContext(rtBase);
  let param = parseData(ep.type, req.parameter, tc, "parameter");
  for (let i = ep.path.length - 1; i >= 0; i--) param = { left: ep.path[i] === "Left", v: param };
  const storage = parseData(c.storage, req.storage, tc, "storage");
  const owned = bigMapIds(c.storage, storage);
  const limit = Number(ctx.gasLimit ?? DEFAULT_GAS_LIMIT);
  const rt: Runtime = {
    gas: limit,
    ctx,
    tc,
    self,
    sender: decodeAddress(ctx.sender),
    source: decodeAddress(ctx.source),
    selfType: c.parameter,
    opCounter: 0,
    chainIdBytes: chainIdToBytes(ctx.chainId),
  };
  // Base cost of loading the script and its storage.
  rt.gas -= 1000 + script.sizeBytes;
  if (rt.gas < 0) throw new MichelsonRuntimeError("gas_exhausted", "gas exhausted", -1);
  const stack: V[] = [[param, storage] as const];
  c.code(stack, rt);
  const [ops, newStorage] = stack[0] as readonly [V, V];
  const operations = (ops as readonly OperationV[]).map((o) => o.op);
  if (new Set(ops as readonly OperationV[]).size !== operations.length) {
    // The protocol rejects emitting the same operation value twice (internal operation replay).
    throw new MichelsonRuntimeError(
      "internal_operation_replay",
      "internal operation replay: an operation was emitted twice",
      -1,
    );
  }
  const gasConsumed = BigInt(limit - Math.max(rt.gas, 0));
  const mode = req.mode ?? "readable";
  if (ctx.bigMaps === undefined) {
    return {
      storage: unparseData(c.storage, newStorage, mode),
      operations,
      gasConsumed,
      bigMaps: [],
      removedBigMaps: [],
    };
  }
  const committed = commitBigMaps(c.storage, newStorage, ctx.bigMaps, owned);
  const kept = new Set(committed.updates.map((u) => u.id));
  return {
    storage: unparseData(c.storage, committed.value, mode, true),
    operations,
    gasConsumed,
    bigMaps: committed.updates,
    removedBigMaps: [...owned].filter((id) => !kept.has(id)),
  };
}

function runtimeTypecheckContext(rt: Pick<Runtime, "ctx" | "self" | "selfType">): TcContext {
  const store = rt.ctx.bigMaps;
  const tc: TcContext = {
    bigMap: store === undefined ? undefined : (id, t) => loadBigMap(store, id, t, tc),
    contractType: (a) => contractEntrypointType(rt, a, a.entrypoint),
    checkScript: (sections, path) => {
      const typed = typecheckScript(parseScript(sections), undefined, path);
      return { parameter: typed.compiled.parameter, storage: typed.compiled.storage };
    },
  };
  return tc;
}

/**
 * The context `octez-client run script` uses by default: the dummy self
 * `KT1BEqzn5Wx8uJrZNvuS9DVHmLvG9td3fDLi`, balance 4,000,000 tez, amount 0.05 tez, level 1, the
 * main chain id, and CREATE_CONTRACT addresses derived from an all-zero operation hash (the first
 * one is `KT1Mjjcb6tmSsLm7Cb3DSQszePjfchPM4Uxm`). Its address registry is a fresh in-memory one
 * whose indexes start at 0 (an assumption: the ledger should supply the chain's registry).
 */
export function defaultContext(overrides: Partial<ExecutionContext> = {}): ExecutionContext {
  let nonce = 1;
  const zeroHash = new Uint8Array(32);
  const registry = new Map<string, bigint>();
  return {
    self: "KT1BEqzn5Wx8uJrZNvuS9DVHmLvG9td3fDLi",
    sender: "tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx",
    source: "tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx",
    amount: 50_000n,
    balance: 4_000_000_000_000n,
    now: 0n,
    level: 1n,
    chainId: "NetXdQprcVkpaWU",
    nextOriginatedAddress: () => originatedAddress(zeroHash, nonce++),
    addressIndex: (address, allocate) => {
      const known = registry.get(address);
      if (known !== undefined || !allocate) return known ?? null;
      const i = BigInt(registry.size);
      registry.set(address, i);
      return i;
    },
    ...overrides,
  };
}

/**
 * Convenience for tests and the conformance runner (like `octez-client run script`): parses,
 * typechecks and runs Michelson text on a parameter and storage given as text.
 *
 * @throws {MichelsonTypeError | MichelsonRuntimeError} as {@link typecheckScript} and {@link execute}.
 * @example runScript("parameter nat; storage nat; code { CAR ; NIL operation ; PAIR }", "7", "0").storage // { int: "7" }
 */
export function runScript(
  src: string,
  parameter: string,
  storage: string,
  ctx: Partial<ExecutionContext> = {},
  mode: UnparsingMode = "readable",
): ExecutionResult {
  const typed = typecheckScript(parseScript(src));
  const p = parseMichelsonData(parameter);
  const s = parseMichelsonData(storage);
  return execute(typed, { parameter: p, storage: s, mode }, defaultContext(ctx));
}

function parseMichelsonData(src: string): Micheline {
  const t = src.trim();
  return t === "" ? prim("Unit") : parseMichelson(t);
}
