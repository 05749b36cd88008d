/**
 * Base class of every error the offline toolkit throws.
 *
 * Subclasses carry a stable machine-readable `code` and, where useful, the offending public
 * value as a readonly field. They never carry secret material (shares, seeds, nonces).
 */
export class ToolkitError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Input that does not have the expected shape, length or range. */
export class InvalidInputError extends ToolkitError {
  readonly field: string;

  constructor(field: string, message: string) {
    super("INVALID_INPUT", `${field}: ${message}`);
    this.field = field;
  }
}

/** Data whose integrity check failed (checksum, commitment, signature, authentication tag). */
export class IntegrityError extends ToolkitError {
  readonly subject: string;

  constructor(subject: string, message: string) {
    super("INTEGRITY", `${subject}: ${message}`);
    this.subject = subject;
  }
}

/** An action the toolkit refuses for safety reasons (burned key, nonce reuse, digest mismatch). */
export class RefusedError extends ToolkitError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/**
 * A prepared request that says something its bytes do not. The field is the request path (for
 * example `summary.to`, `summary.operations[1].amount` or `chain.chainId`); both values are public.
 */
export class SummaryMismatchError extends RefusedError {
  readonly field: string;
  readonly provided: string;
  readonly decoded: string;

  constructor(field: string, provided: string, decoded: string) {
    super("SUMMARY_MISMATCH", `${field}: the request says ${provided} but its bytes say ${decoded}`);
    this.field = field;
    this.provided = provided;
    this.decoded = decoded;
  }
}
