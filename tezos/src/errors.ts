/**
 * Typed errors of the Tezos client. Each carries a stable `code` and the offending public
 * value; none ever carries key material.
 */

/** Base class of every error thrown by `tezos/src`. */
export class TezosClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input, refused before anything is sent; `field` names the parameter. */
export class InvalidInputError extends TezosClientError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    reason: string,
    code = "TEZOS_INVALID_INPUT",
  ) {
    super(
      code,
      `${field}: ${reason} (got ${JSON.stringify(typeof value === "bigint" ? value.toString() : value)})`,
    );
  }
}

/** A Tezos address (tz1/KT1) with a bad prefix, length or checksum. */
export class InvalidAddressError extends InvalidInputError {
  constructor(field: string, value: unknown, reason: string) {
    super(field, value, reason, "TEZOS_INVALID_ADDRESS");
  }
}

/** A mutez amount that is not an integer in the allowed range. */
export class InvalidAmountError extends InvalidInputError {
  constructor(field: string, value: unknown, reason: string) {
    super(field, value, reason, "TEZOS_INVALID_AMOUNT");
  }
}

/** A key or key hash of the wrong curve (e.g. tz2/tz3 where tz1 is required). */
export class WrongKeyTypeError extends InvalidInputError {
  constructor(field: string, value: unknown, reason: string) {
    super(field, value, reason, "TEZOS_WRONG_KEY_TYPE");
  }
}

/** The chain refused or failed an operation; `errors` are the node's error objects. */
export class OperationFailedError extends TezosClientError {
  constructor(
    message: string,
    readonly errors: readonly { readonly id: string; readonly [k: string]: unknown }[],
    /** The FAILWITH string of the contract, when the failure came from it. */
    readonly failwith?: string,
  ) {
    super("TEZOS_OPERATION_FAILED", message);
  }
}
