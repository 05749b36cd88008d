import { createBase58check } from "@scure/base";
import { ed25519 } from "@noble/curves/ed25519.js";
import { blake2b } from "@noble/hashes/blake2.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { InvalidInputError } from "../../errors.js";
import { concatBytes, bytesEqual } from "../hex.js";

const b58check = createBase58check(sha256);

/** Tezos base58check prefixes (bytes prepended to the payload before encoding) and payload sizes. */
export const TEZOS_PREFIX = Object.freeze({
  tz1: { bytes: Uint8Array.of(6, 161, 159), length: 20 },
  tz2: { bytes: Uint8Array.of(6, 161, 161), length: 20 },
  tz3: { bytes: Uint8Array.of(6, 161, 164), length: 20 },
  KT1: { bytes: Uint8Array.of(2, 90, 121), length: 20 },
  edpk: { bytes: Uint8Array.of(13, 15, 37, 217), length: 32 },
  edsig: { bytes: Uint8Array.of(9, 245, 205, 134, 18), length: 64 },
  o: { bytes: Uint8Array.of(5, 116), length: 32 },
  B: { bytes: Uint8Array.of(1, 52), length: 32 },
  Net: { bytes: Uint8Array.of(87, 82, 0), length: 4 },
});

/** Name of a supported prefix. */
export type TezosPrefix = keyof typeof TEZOS_PREFIX;

/**
 * base58check(prefix || payload) with a double-SHA-256 checksum.
 *
 * @throws InvalidInputError (field `payload`) for a payload of the wrong length.
 */
export function b58cEncode(prefix: TezosPrefix, payload: Uint8Array): string {
  const p = TEZOS_PREFIX[prefix];
  if (payload.length !== p.length) {
    throw new InvalidInputError("payload", `${prefix} expects ${p.length} bytes, got ${payload.length}`);
  }
  return b58check.encode(concatBytes(p.bytes, payload));
}

/**
 * Decodes a base58check string that must carry one of `prefixes`; returns the prefix and payload.
 *
 * @throws InvalidInputError naming `field` for bad characters, a failed checksum, a prefix not in
 *   the list, or a wrong payload length.
 */
export function b58cDecode(
  field: string,
  value: unknown,
  prefixes: readonly TezosPrefix[],
): { prefix: TezosPrefix; payload: Uint8Array } {
  if (typeof value !== "string" || value.length === 0) {
    throw new InvalidInputError(field, `expected a base58check ${prefixes.join("/")} value`);
  }
  let raw: Uint8Array;
  try {
    raw = b58check.decode(value);
  } catch {
    throw new InvalidInputError(field, `${value} is not valid base58check (bad character or checksum)`);
  }
  for (const prefix of prefixes) {
    const p = TEZOS_PREFIX[prefix];
    if (raw.length === p.bytes.length + p.length && bytesEqual(raw.subarray(0, p.bytes.length), p.bytes)) {
      return { prefix, payload: raw.slice(p.bytes.length) };
    }
  }
  throw new InvalidInputError(field, `${value} is not a ${prefixes.join("/")} value`);
}

/** tz1 address of an Ed25519 public key: blake2b-160 of the 32-byte key. */
export function tz1FromPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) {
    throw new InvalidInputError(
      "publicKey",
      `expected a 32-byte Ed25519 public key, got ${publicKey.length} bytes`,
    );
  }
  return b58cEncode("tz1", blake2b(publicKey, { dkLen: 20 }));
}

/** `edpk…` spelling of an Ed25519 public key. */
export function encodePublicKey(publicKey: Uint8Array): string {
  return b58cEncode("edpk", publicKey);
}

/**
 * Ed25519 public key bytes of an `edpk…` string, checked to be a valid curve point.
 *
 * @throws InvalidInputError naming `field` for another key type (sppk, p2pk, BLpk), a bad
 *   checksum, or bytes that are not a point.
 */
export function parsePublicKey(field: string, value: unknown): Uint8Array {
  if (typeof value === "string" && /^(sppk|p2pk|BLpk)/.test(value)) {
    throw new InvalidInputError(field, `only Ed25519 (edpk) keys are supported, got ${value.slice(0, 4)}`);
  }
  const { payload } = b58cDecode(field, value, ["edpk"]);
  try {
    ed25519.Point.fromBytes(payload);
  } catch {
    throw new InvalidInputError(field, "not a valid Ed25519 point");
  }
  return payload;
}

/** `edsig…` spelling of a 64-byte Ed25519 signature. */
export function encodeSignature(signature: Uint8Array): string {
  return b58cEncode("edsig", signature);
}

/** Signature bytes of an `edsig…` string. */
export function parseSignature(field: string, value: unknown): Uint8Array {
  return b58cDecode(field, value, ["edsig"]).payload;
}

/** Operation hash (`o…`) of signed operation bytes: blake2b-256 of forged bytes || signature. */
export function operationHash(signedBytes: Uint8Array): string {
  return b58cEncode("o", blake2b(signedBytes, { dkLen: 32 }));
}

/**
 * Validates an implicit account address (tz1, tz2, tz3) and returns it.
 *
 * @throws InvalidInputError naming `field` for a bad checksum or another kind of address.
 */
export function parseImplicitAddress(field: string, value: unknown): string {
  b58cDecode(field, value, ["tz1", "tz2", "tz3"]);
  return value as string;
}

/**
 * Validates a tz1 (Ed25519) address, the only kind a toolkit cold key has.
 *
 * @throws InvalidInputError naming `field` for anything but a valid tz1.
 */
export function parseTz1(field: string, value: unknown): string {
  b58cDecode(field, value, ["tz1"]);
  return value as string;
}

/**
 * Validates an originated contract address (KT1).
 *
 * @throws InvalidInputError naming `field` for a bad checksum or another kind of address.
 */
export function parseContractAddress(field: string, value: unknown): string {
  b58cDecode(field, value, ["KT1"]);
  return value as string;
}

/**
 * Validates any destination address (tz1, tz2, tz3 or KT1).
 *
 * @throws InvalidInputError naming `field`.
 */
export function parseTezosAddress(field: string, value: unknown): string {
  b58cDecode(field, value, ["tz1", "tz2", "tz3", "KT1"]);
  return value as string;
}

/** Validates a block hash (`B…`) used as an operation's branch. */
export function parseBranch(field: string, value: unknown): string {
  b58cDecode(field, value, ["B"]);
  return value as string;
}

/** Validates a chain id (`Net…`). */
export function parseChainId(field: string, value: unknown): string {
  b58cDecode(field, value, ["Net"]);
  return value as string;
}
