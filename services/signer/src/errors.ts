/**
 * Typed errors of the hot signer. Each carries a stable `code`, the HTTP status the API answers
 * with, and the offending public value (never key material or the API token).
 */

/** Base class of every error the signer raises on purpose. */
export class SignerError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 500,
    readonly field?: string,
    readonly value?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A request or configuration value that is malformed (HTTP 400). */
export class InvalidInputError extends SignerError {
  constructor(field: string, value: string, reason: string) {
    super("SIGNER_INVALID_INPUT", `${field}: ${reason} (got ${value})`, 400, field, value);
  }
}

/** The signer's own policy refuses to sign (HTTP 403). `reason` is a stable sub-code. */
export class PolicyRefusedError extends SignerError {
  constructor(
    readonly reason: string,
    message: string,
    field?: string,
    value?: string,
  ) {
    super("SIGNER_POLICY_REFUSED", `${reason}: ${message}`, 403, field, value);
  }
}

/** No key with this id in the backend (HTTP 404). */
export class UnknownKeyError extends SignerError {
  constructor(keyId: string) {
    super("SIGNER_UNKNOWN_KEY", `no key with id ${JSON.stringify(keyId)}`, 404, "keyId", keyId);
  }
}

/** The key exists but is of the wrong curve for the request (HTTP 400). */
export class WrongKeyTypeError extends SignerError {
  constructor(keyId: string, expected: string, actual: string) {
    super("SIGNER_WRONG_KEY_TYPE", `key ${keyId} is ${actual}, expected ${expected}`, 400, "keyId", keyId);
  }
}

/** Missing or wrong bearer token (HTTP 401). */
export class UnauthorizedError extends SignerError {
  constructor() {
    super("SIGNER_UNAUTHORIZED", "missing or invalid bearer token", 401);
  }
}

/** Request body above the configured limit (HTTP 413). */
export class BodyTooLargeError extends SignerError {
  constructor(limit: number) {
    super("SIGNER_BODY_TOO_LARGE", `request body exceeds ${limit} bytes`, 413, undefined, String(limit));
  }
}

/** Unknown route (HTTP 404). */
export class NotFoundError extends SignerError {
  constructor(method: string, path: string) {
    super("SIGNER_NOT_FOUND", `no route ${method} ${path}`, 404, undefined, `${method} ${path}`);
  }
}

/** The sealed key file could not be opened with the given passphrase or key file. */
export class SealedWrongSecretError extends SignerError {
  constructor(path: string) {
    super("SIGNER_SEALED_WRONG_SECRET", `wrong passphrase or key file for ${path}`, 400, "passphrase", path);
  }
}

/** The sealed key file was modified (header or ciphertext) or is not a sealed key file. */
export class SealedTamperedError extends SignerError {
  constructor(path: string, detail: string) {
    super(
      "SIGNER_SEALED_TAMPERED",
      `sealed key file ${path} is corrupt or was tampered with: ${detail}`,
      400,
      "file",
      path,
    );
  }
}

/** A PKCS#11 failure, with the Cryptoki return code name when known. */
export class HsmError extends SignerError {
  constructor(
    readonly ckr: string,
    message: string,
  ) {
    super("SIGNER_HSM_ERROR", `${ckr}: ${message}`, 500, undefined, ckr);
  }
}

/** Invalid configuration at start-up. */
export class ConfigError extends SignerError {
  constructor(field: string, reason: string) {
    super("SIGNER_CONFIG_INVALID", `${field}: ${reason}`, 500, field);
  }
}
