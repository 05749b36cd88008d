import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { InvalidInputError } from "../../errors.js";
import { bigintToFixedBytes, toHex } from "../hex.js";

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

/**
 * EIP-55 mixed-case checksum spelling of a 20-byte address.
 *
 * @throws InvalidInputError (field `address`) when the input is not 0x + 40 hex digits.
 * @example
 * checksumAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
 * // "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
 */
export function checksumAddress(address: string, field = "address"): string {
  if (typeof address !== "string" || !ADDRESS_RE.test(address)) {
    throw new InvalidInputError(field, "expected 0x followed by 40 hex digits");
  }
  const lower = address.slice(2).toLowerCase();
  const hash = keccak_256(new TextEncoder().encode(lower));
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const nibble = ((hash[i >> 1] ?? 0) >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    const ch = lower[i] ?? "";
    out += nibble >= 8 ? ch.toUpperCase() : ch;
  }
  return out;
}

/**
 * Validates an address given by a person or a file and returns its checksum spelling.
 *
 * All-lower or all-upper case carries no checksum and is accepted; mixed case must be the exact
 * EIP-55 spelling, because a wrong mixed-case spelling is the sign of a typo.
 *
 * @throws InvalidInputError naming `field` for malformed hex or a failed checksum.
 */
export function parseAddress(field: string, value: unknown): string {
  if (typeof value !== "string" || !ADDRESS_RE.test(value)) {
    throw new InvalidInputError(field, "expected an address: 0x followed by 40 hex digits");
  }
  const body = value.slice(2);
  const checksummed = checksumAddress(value, field);
  const mixed = body !== body.toLowerCase() && body !== body.toUpperCase();
  if (mixed && checksummed !== value) {
    throw new InvalidInputError(field, `EIP-55 checksum mismatch for ${value} (expected ${checksummed})`);
  }
  return checksummed;
}

/** Address of an uncompressed (65-byte) or compressed (33-byte) secp256k1 public key. */
export function addressFromPublicKey(publicKey: Uint8Array): string {
  const point = secp256k1.Point.fromBytes(publicKey);
  const uncompressed = point.toBytes(false);
  return checksumAddress(toHex(keccak_256(uncompressed.subarray(1)).subarray(12)));
}

/**
 * Normalises a secp256k1 private key given as 32 bytes or a scalar into a fresh 32-byte copy.
 * The caller owns the copy and must zero it.
 *
 * @throws InvalidInputError (field `privateKey`) for a wrong length or a scalar outside [1, n-1].
 */
export function privateKeyBytes(privateKey: Uint8Array | bigint): Uint8Array {
  let bytes: Uint8Array;
  if (typeof privateKey === "bigint") {
    if (privateKey <= 0n || privateKey >= secp256k1.Point.CURVE().n) {
      throw new InvalidInputError("privateKey", "secp256k1 scalar out of range [1, n-1]");
    }
    bytes = bigintToFixedBytes(privateKey, 32);
  } else if (privateKey instanceof Uint8Array) {
    if (privateKey.length !== 32) {
      throw new InvalidInputError(
        "privateKey",
        `expected a 32-byte secp256k1 key, got ${privateKey.length} bytes`,
      );
    }
    bytes = privateKey.slice();
  } else {
    throw new InvalidInputError("privateKey", "expected a Uint8Array or a bigint scalar");
  }
  if (!secp256k1.utils.isValidSecretKey(bytes)) {
    bytes.fill(0);
    throw new InvalidInputError("privateKey", "secp256k1 scalar out of range [1, n-1]");
  }
  return bytes;
}

/**
 * EIP-55 address controlled by a secp256k1 private key.
 *
 * @throws InvalidInputError (field `privateKey`) for a key that is not a valid secp256k1 scalar.
 * @example
 * addressFromPrivateKey(1n); // "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
 */
export function addressFromPrivateKey(privateKey: Uint8Array | bigint): string {
  const key = privateKeyBytes(privateKey);
  try {
    return addressFromPublicKey(secp256k1.getPublicKey(key, false));
  } finally {
    key.fill(0);
  }
}
