/**
 * Ed25519 key helpers for Tezos cold keys: RFC 8032 seed expansion, public keys from scalars,
 * and Tezos encodings (edpk, tz1). See docs/decisions/0200-tezos-cold-key-sharing.md for what is
 * shared.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { bytesToNumberLE } from "@noble/curves/utils.js";
import { blake2b } from "@noble/hashes/blake2.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { createBase58check } from "@scure/base";
import { InvalidInputError } from "../errors.js";
import { ed25519Group } from "./curves.js";
import type { Rng } from "./entropy.js";
import { osRng } from "./entropy.js";

const b58check = createBase58check(sha256);

/** Tezos base58check prefixes. */
const PREFIX = {
  edpk: Uint8Array.of(13, 15, 37, 217),
  tz1: Uint8Array.of(6, 161, 159),
  edsig: Uint8Array.of(9, 245, 205, 134, 18),
} as const;

function prefixed(prefix: Uint8Array, payload: Uint8Array): string {
  const b = new Uint8Array(prefix.length + payload.length);
  b.set(prefix);
  b.set(payload, prefix.length);
  return b58check.encode(b);
}

/**
 * The RFC 8032 secret scalar of a 32-byte seed: `SHA-512(seed)[0..32]`, clamped, reduced mod L.
 * Reduction does not change the public key because the base point has order L. The nonce
 * prefix (the other half of the hash) is discarded: threshold signing uses FROST nonces.
 * @throws {InvalidInputError} if the seed is not 32 bytes.
 * @example
 * const s = ed25519ScalarFromSeed(seed); // then splitSecret(ed25519Group, s, structure)
 */
export function ed25519ScalarFromSeed(seed: Uint8Array): bigint {
  if (!(seed instanceof Uint8Array) || seed.length !== 32)
    throw new InvalidInputError("seed", `expected 32-byte seed, got ${seed?.length}`);
  const h = sha512(seed).subarray(0, 32);
  h[0] = (h[0] as number) & 248;
  h[31] = ((h[31] as number) & 127) | 64;
  const s = ed25519Group.mod(bytesToNumberLE(h));
  h.fill(0);
  return s;
}

/**
 * The 32-byte Ed25519 public key `s·B` of a scalar.
 * @throws {InvalidInputError} if the scalar is zero modulo L.
 */
export function ed25519PublicKeyFromScalar(scalar: bigint): Uint8Array {
  if (ed25519Group.mod(scalar) === 0n) throw new InvalidInputError("scalar", "zero scalar has no key");
  return ed25519Group.encodePoint(ed25519Group.baseMul(scalar));
}

/** A fresh FROST-native Ed25519 cold scalar (no seed exists; see decision 0200). */
export function generateEd25519Scalar(rng: Rng = osRng): bigint {
  return ed25519Group.randomScalar(rng);
}

function check32(pk: Uint8Array, field: string): void {
  if (!(pk instanceof Uint8Array) || pk.length !== 32)
    throw new InvalidInputError(field, `expected 32-byte Ed25519 public key, got ${pk?.length}`);
}

/**
 * Tezos `edpk...` encoding of an Ed25519 public key.
 * @throws {InvalidInputError} if not 32 bytes.
 */
export function tezosPublicKey(publicKey: Uint8Array): string {
  check32(publicKey, "publicKey");
  return prefixed(PREFIX.edpk, publicKey);
}

/**
 * Tezos implicit account `tz1...` of an Ed25519 public key (base58check of BLAKE2b-160).
 * @throws {InvalidInputError} if not 32 bytes.
 */
export function tezosAddress(publicKey: Uint8Array): string {
  check32(publicKey, "publicKey");
  return prefixed(PREFIX.tz1, blake2b(publicKey, { dkLen: 20 }));
}

/**
 * Tezos `edsig...` encoding of a 64-byte Ed25519 signature.
 * @throws {InvalidInputError} if not 64 bytes.
 */
export function tezosSignature(signature: Uint8Array): string {
  if (!(signature instanceof Uint8Array) || signature.length !== 64)
    throw new InvalidInputError("signature", `expected 64-byte signature, got ${signature?.length}`);
  return prefixed(PREFIX.edsig, signature);
}

/**
 * Ed25519 verification under the toolkit's rule: strict RFC 8032 as tested by Wycheproof
 * (canonical R and A encodings, `s < L`, cofactorless equation), i.e. noble with `zip215: false`.
 */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** Plain RFC 8032 signature with a 32-byte seed (single-key signing, tests, party keys). */
export function signEd25519(message: Uint8Array, seed: Uint8Array): Uint8Array {
  if (!(seed instanceof Uint8Array) || seed.length !== 32)
    throw new InvalidInputError("seed", `expected 32-byte seed, got ${seed?.length}`);
  return ed25519.sign(message, seed);
}
