/**
 * secp256k1 signature post-processing shared by every backend: HSMs return raw `r || s` with
 * about half of the `s` values high, and no recovery id; Ethereum wants low-s and `yParity`.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { SignerError } from "../errors.js";
import { isSignatureOfKey } from "./known-key-verify.js";

const N = secp256k1.Point.CURVE().n;
const HALF_N = N >> 1n;

/** A low-s secp256k1 signature with its recovery bit. */
export interface RecoverableSignature {
  readonly r: bigint;
  readonly s: bigint;
  readonly yParity: 0 | 1;
}

/**
 * Normalises `r || s` to low-s and finds the recovery id by trying both candidates against the
 * expected public key (each a libsecp256k1 recovery compared with that key: see
 * known-key-verify.ts).
 *
 * @throws {SignerError} `SIGNER_BAD_SIGNATURE` when neither candidate recovers the key (a broken
 * backend or a digest/key mismatch): never return a signature that does not verify.
 */
export function toRecoverable(
  rs: Uint8Array,
  digest: Uint8Array,
  publicKey: Uint8Array,
): RecoverableSignature {
  return findRecovery(rs, digest, publicKey, [0, 1]);
}

/**
 * Same as {@link toRecoverable} when the backend already knows the recovery bit: one check
 * confirms it instead of up to two searching for it.
 *
 * @throws {SignerError} `SIGNER_BAD_SIGNATURE` when the signature does not recover the key.
 */
export function checkRecoverable(
  rs: Uint8Array,
  digest: Uint8Array,
  publicKey: Uint8Array,
  recovery: 0 | 1,
): RecoverableSignature {
  return findRecovery(rs, digest, publicKey, [recovery]);
}

function findRecovery(
  rs: Uint8Array,
  digest: Uint8Array,
  publicKey: Uint8Array,
  candidates: readonly (0 | 1)[],
): RecoverableSignature {
  if (rs.length !== 64)
    throw new SignerError("SIGNER_BAD_SIGNATURE", `expected 64-byte r||s, got ${rs.length}`, 500);
  const r = BigInt("0x" + bytesToHex(rs.subarray(0, 32)));
  let s = BigInt("0x" + bytesToHex(rs.subarray(32)));
  let bits = candidates;
  if (s > HALF_N) {
    // Negating s mirrors R, so a known recovery bit flips with it.
    s = N - s;
    bits = bits.map((b) => (b === 0 ? 1 : 0));
  }
  // True iff recovering with this bit gives the key.
  for (const bit of bits) if (isSignatureOfKey(publicKey, digest, r, s, bit)) return { r, s, yParity: bit };
  throw new SignerError("SIGNER_BAD_SIGNATURE", "signature does not recover the signing key", 500);
}

/** Lowercase (not checksummed) Ethereum address of an uncompressed or compressed public key. */
export function evmAddressOf(publicKey: Uint8Array): string {
  const uncompressed = secp256k1.Point.fromBytes(publicKey).toBytes(false);
  return "0x" + bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(12));
}
