/**
 * Typed errors of the typechecker and interpreter, and their mapping onto the JSON errors a
 * Tezos node returns, so that Taquito's `TezosOperationError` shows the same thing it would show
 * against a real node (for FAILWITH: the failing value).
 */
import type { Micheline } from "./micheline.js";

/** Why a script or a value was rejected before running. */
export type TypeErrorKind =
  | "parse_error"
  | "ill_typed_contract"
  | "ill_typed_data"
  | "ill_formed_type"
  | "invalid_entrypoint"
  | "unsupported";

/** Why a running script stopped. */
export type RuntimeErrorKind =
  | "failwith"
  | "overflow"
  | "tez_addition_overflow"
  | "tez_subtraction_underflow"
  | "gas_exhausted"
  | "bad_contract_parameter"
  | "internal_operation_replay"
  | "unsupported";

/** Base class: every error of this module has a stable `code`. */
export class MichelsonError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Location information attached to a typing error. */
export interface TypeErrorDetails {
  /** Path to the offending node inside the checked expression, e.g. `code[3].args[0]`. */
  readonly path?: string;
  /** The offending Micheline node or public input. */
  readonly value?: unknown;
}

/**
 * A script, type or value was rejected by the typechecker. `code` is
 * `MICHELSON_<KIND>` (e.g. `MICHELSON_ILL_TYPED_CONTRACT`); `path` locates the node.
 */
export class MichelsonTypeError extends MichelsonError {
  readonly path: string | undefined;
  readonly value: unknown;
  constructor(
    readonly kind: TypeErrorKind,
    message: string,
    details: TypeErrorDetails = {},
  ) {
    super(`MICHELSON_${kind.toUpperCase()}`, details.path ? `${message} (at ${details.path})` : message);
    this.path = details.path;
    this.value = details.value;
  }
}

/**
 * A script failed while running. For `failwith`, `with` carries the failing value (Micheline,
 * optimized form as the node prints it); `location` is the Micheline node index of the failing
 * instruction inside the script (as the protocol counts), when known.
 */
export class MichelsonRuntimeError extends MichelsonError {
  constructor(
    readonly kind: RuntimeErrorKind,
    message: string,
    readonly location: number,
    readonly with_?: Micheline,
    readonly amounts?: readonly [bigint, bigint],
  ) {
    super(`MICHELSON_${kind.toUpperCase()}`, message);
  }
  /** The FAILWITH value, if any (alias without the trailing underscore). */
  get with(): Micheline | undefined {
    return this.with_;
  }
}

/** A JSON error as returned by the node RPC (`/injection/operation`, `/run_operation`...). */
export interface RpcError {
  readonly kind: "temporary" | "permanent" | "branch";
  readonly id: string;
  readonly [field: string]: unknown;
}

export interface RpcErrorOptions {
  /** Error id prefix, e.g. `proto.021-PtQenaB1`; defaults to `proto.alpha`. */
  readonly protocol?: string;
  /** Address of the contract that failed (for the `runtime_error` wrapper). */
  readonly contract?: string;
}

/**
 * Maps an interpreter or typechecker error to the innermost node error object, the one Taquito
 * reads its message from (its `with` field for FAILWITH).
 *
 * @example toRpcError(err, { protocol: "proto.021-PtQenaB1" })
 * // { kind: "temporary", id: "proto.021-PtQenaB1.michelson_v1.script_rejected", location: 42, with: { string: "not cold" } }
 */
export function toRpcError(err: unknown, opts: RpcErrorOptions = {}): RpcError {
  const p = opts.protocol ?? "proto.alpha";
  if (err instanceof MichelsonRuntimeError) {
    switch (err.kind) {
      case "failwith":
        return {
          kind: "temporary",
          id: `${p}.michelson_v1.script_rejected`,
          location: err.location,
          with: err.with_,
        };
      case "overflow":
        return { kind: "temporary", id: `${p}.michelson_v1.script_overflow`, location: err.location };
      case "tez_addition_overflow":
        return { kind: "temporary", id: `${p}.tez.addition_overflow`, amounts: amountStrings(err) };
      case "tez_subtraction_underflow":
        return { kind: "temporary", id: `${p}.tez.subtraction_underflow`, amounts: amountStrings(err) };
      case "gas_exhausted":
        return { kind: "temporary", id: `${p}.gas_exhausted.operation` };
      case "bad_contract_parameter":
        return { kind: "permanent", id: `${p}.michelson_v1.bad_contract_parameter`, contract: opts.contract };
      case "unsupported":
        return {
          kind: "permanent",
          id: `${p}.michelson_v1.unsupported`,
          location: err.location,
          message: err.message,
        };
    }
  }
  if (err instanceof MichelsonTypeError) {
    const id =
      err.kind === "ill_typed_data"
        ? "michelson_v1.ill_typed_data"
        : err.kind === "invalid_entrypoint"
          ? "michelson_v1.no_such_entrypoint"
          : "michelson_v1.ill_typed_contract";
    return { kind: "permanent", id: `${p}.${id}`, message: err.message, path: err.path };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { kind: "temporary", id: `${p}.michelson_v1.runtime_error`, message };
}

/**
 * The full error trace the node returns for a failed contract call: a `runtime_error` naming the
 * contract, followed by the innermost error ({@link toRpcError}).
 */
export function toRpcErrors(err: unknown, opts: RpcErrorOptions = {}): RpcError[] {
  const p = opts.protocol ?? "proto.alpha";
  const inner = toRpcError(err, opts);
  if (err instanceof MichelsonRuntimeError && opts.contract !== undefined && err.kind !== "gas_exhausted") {
    return [
      {
        kind: "temporary",
        id: `${p}.michelson_v1.runtime_error`,
        contract_handle: opts.contract,
        contract_code: "Deprecated",
      },
      inner,
    ];
  }
  return [inner];
}

function amountStrings(err: MichelsonRuntimeError): string[] {
  return (err.amounts ?? []).map((a) => a.toString());
}
