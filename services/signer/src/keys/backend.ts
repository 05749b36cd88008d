/**
 * The one interface every key store implements. Backends only list keys, give public keys,
 * create keys and sign 32-byte digests: what may be signed is decided before, by the allowlist.
 */

/** Curves the signer holds hot keys on: secp256k1 for EVM, Ed25519 for Tezos (tz1). */
export type Curve = "secp256k1" | "ed25519";

/** Public description of a key. */
export interface KeyInfo {
  readonly id: string;
  readonly curve: Curve;
  /** secp256k1: 65-byte uncompressed point; Ed25519: 32 bytes. */
  readonly publicKey: Uint8Array;
}

/** A store of hot keys that can sign but never hands out private key material. */
export interface KeyBackend {
  /** `"sealed"` or `"pkcs11"`, for health and logs. */
  readonly kind: string;
  /** Every key the backend holds, in a stable order. */
  listKeys(): Promise<KeyInfo[]>;
  /**
   * @throws {UnknownKeyError} when no key has this id.
   */
  getKey(keyId: string): Promise<KeyInfo>;
  /**
   * Creates a key inside the backend.
   *
   * @throws {InvalidInputError} when the id is taken or malformed.
   */
  generateKey(keyId: string, curve: Curve): Promise<KeyInfo>;
  /**
   * Signs a 32-byte digest. secp256k1: raw 64-byte `r || s` (s possibly high; callers
   * normalise). Ed25519: the 64-byte signature of the digest bytes as the message.
   *
   * @throws {UnknownKeyError} when no key has this id.
   */
  signDigest(keyId: string, digest: Uint8Array): Promise<Uint8Array>;
  /**
   * Optional: secp256k1 only, a low-s `r || s` with its recovery bit, for backends that learn
   * the bit while signing (software keys). Saves the recovery search, the costliest step.
   */
  signDigestRecoverable?(keyId: string, digest: Uint8Array): Promise<{ rs: Uint8Array; recovery: 0 | 1 }>;
  /** Releases sessions and handles. */
  close(): Promise<void>;
}

/** Key ids are used as file fields and PKCS#11 labels: keep them short and plain. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
