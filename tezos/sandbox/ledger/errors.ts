/**
 * Errors in the node's JSON format. Everything the ledger refuses is expressed as the list of
 * `{ kind, id, ... }` objects a Tezos node would return, so Taquito reports it the same way.
 */
import { PROTOCOL_ERROR_PREFIX } from "./constants.js";

/** One node error object. */
export interface NodeError {
  readonly kind: "temporary" | "permanent" | "branch";
  readonly id: string;
  readonly [field: string]: unknown;
}

/** Builds a protocol error object (`proto.024-PtTALLiN.<id>`). */
export function protoError(
  kind: NodeError["kind"],
  id: string,
  fields: Record<string, unknown> = {},
): NodeError {
  return { kind, id: `${PROTOCOL_ERROR_PREFIX}.${id}`, ...fields };
}

/**
 * The whole operation was refused before application (bad counter, unrevealed key, fees not
 * covered, bad signature, unknown branch...). Nothing changed; the node answers HTTP 500 with
 * `errors` as the body.
 */
export class OperationRejected extends Error {
  readonly code = "TEZOS_OPERATION_REJECTED";
  constructor(readonly errors: readonly NodeError[]) {
    super(`operation rejected: ${errors.map((e) => e.id).join(", ")}`);
    this.name = "OperationRejected";
  }
}

/**
 * An operation failed while being applied (script failure, balance too low, unregistered
 * delegate...). Raised inside the ledger and turned into a `failed` operation result.
 */
export class ApplyFailure extends Error {
  constructor(readonly errors: readonly NodeError[]) {
    super(`operation failed: ${errors.map((e) => e.id).join(", ")}`);
    this.name = "ApplyFailure";
  }
}
