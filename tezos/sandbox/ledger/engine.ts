/**
 * What the ledger needs from a Michelson implementation. The sandbox plugs in the in-repo
 * interpreter (`michelson-engine.ts`); keeping this seam narrow lets the ledger's own rules
 * (fees, counters, burns, backtracking) be tested on their own.
 */
import type { Micheline } from "../michelson/index.js";
import type { NodeError } from "./errors.js";

/** A typechecked script, cached per contract. */
export interface LoadedScript {
  readonly parameterType: Micheline;
  readonly storageType: Micheline;
  /** Engine-specific compiled form. */
  readonly compiled: unknown;
}

/** An operation emitted by a script, applied by the ledger after the script returns. */
export type EmittedOperation =
  | {
      readonly kind: "transaction";
      readonly destination: string;
      readonly entrypoint: string;
      readonly parameter: Micheline;
      readonly amount: bigint;
    }
  | { readonly kind: "delegation"; readonly delegate: string | null }
  | {
      readonly kind: "origination";
      /** Chosen while the script ran, from the operation's origination nonce. */
      readonly address: string;
      readonly code: Micheline;
      readonly storage: Micheline;
      readonly balance: bigint;
      readonly delegate: string | null;
    }
  | { readonly kind: "event"; readonly tag: string; readonly type: Micheline; readonly payload: Micheline };

/** The chain context a script sees. */
export interface RunContext {
  readonly sender: string;
  readonly source: string;
  readonly self: string;
  readonly amount: bigint;
  /** The contract's balance including `amount`, as BALANCE returns it. */
  readonly balance: bigint;
  readonly level: number;
  /** Block timestamp, seconds since the epoch (NOW). */
  readonly now: bigint;
  readonly chainId: string;
  /** Milligas still available to this script. */
  readonly milligasLimit: bigint;
  /** The script of an originated contract (for CONTRACT), or null when there is none. */
  readonly getContract: (address: string) => LoadedScript | null;
  /** The address of the next contract this operation originates (CREATE_CONTRACT). */
  readonly nextOriginatedAddress: () => string;
}

export interface RunResult {
  readonly storage: Micheline;
  readonly operations: readonly EmittedOperation[];
  readonly milligas: bigint;
}

/**
 * Typechecks and runs scripts. Every method throws on failure; `toErrors` turns what it threw
 * into node error objects.
 */
export interface ScriptEngine {
  load(code: Micheline): LoadedScript;
  /** Typechecks storage against the script, returning its normalized form. */
  checkStorage(script: LoadedScript, storage: Micheline): Micheline;
  /** Resolves the entrypoint and typechecks the argument; returns the normalized argument. */
  checkParameter(script: LoadedScript, entrypoint: string, parameter: Micheline): Micheline;
  /** The entrypoints the RPC lists (`/entrypoints`). */
  entrypoints(script: LoadedScript): Record<string, Micheline>;
  /** The type accepted at `entrypoint`, or undefined when it does not exist. */
  entrypointType(script: LoadedScript, entrypoint: string): Micheline | undefined;
  run(
    script: LoadedScript,
    entrypoint: string,
    parameter: Micheline,
    storage: Micheline,
    ctx: RunContext,
  ): RunResult;
  /** Bytes of the script's binary encoding (what origination pays for, with the storage). */
  codeSize(script: LoadedScript): bigint;
  /** Bytes of the storage's binary encoding in optimized form, as the chain stores it. */
  storageSize(script: LoadedScript, storage: Micheline): bigint;
  toErrors(err: unknown, contract?: string): NodeError[];
}
