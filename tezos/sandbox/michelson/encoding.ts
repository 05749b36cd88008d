/**
 * Base58check and binary encodings of Tezos addresses, key hashes, keys, signatures and chain
 * ids, as the protocol's data encoding defines them (the optimized Micheline forms).
 */
import { createBase58check } from "@scure/base";
import { sha256 } from "@noble/hashes/sha2.js";
import { blake2b } from "@noble/hashes/blake2.js";
import { MichelsonTypeError } from "./errors.js";

const b58 = createBase58check(sha256);

interface Prefix {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly payload: number;
}
const px = (name: string, hex: string, payload: number): Prefix => ({
  name,
  bytes: Uint8Array.from(Buffer.from(hex, "hex")),
  payload,
});

/** Implicit account key-hash prefixes, indexed by their binary tag. */
const KEY_HASH_PREFIXES = [
  px("tz1", "06a19f", 20),
  px("tz2", "06a1a1", 20),
  px("tz3", "06a1a4", 20),
  px("tz4", "06a1a6", 20),
];
const KT1 = px("KT1", "025a79", 20);
const PUBLIC_KEY_PREFIXES = [
  px("edpk", "0d0f25d9", 32),
  px("sppk", "03fee256", 33),
  px("p2pk", "03b28b7f", 33),
];
const SIGNATURE_PREFIXES = [
  px("edsig", "09f5cd8612", 64),
  px("spsig1", "0d7365133f", 64),
  px("p2sig", "36f02c34", 64),
  px("sig", "04822b", 64),
];
const CHAIN_ID_PREFIX = px("Net", "575200", 4);

function decodeWith(
  prefixes: readonly Prefix[],
  s: string,
  what: string,
): { tag: number; payload: Uint8Array } {
  let raw: Uint8Array;
  try {
    raw = b58.decode(s);
  } catch {
    throw new MichelsonTypeError("ill_typed_data", `invalid ${what}: bad base58check`, { value: s });
  }
  for (let i = 0; i < prefixes.length; i++) {
    const p = prefixes[i]!;
    if (!s.startsWith(p.name)) continue;
    if (raw.length !== p.bytes.length + p.payload) continue;
    if (!p.bytes.every((b, j) => raw[j] === b)) continue;
    return { tag: i, payload: raw.subarray(p.bytes.length) };
  }
  throw new MichelsonTypeError("ill_typed_data", `invalid ${what}: unknown prefix or length`, { value: s });
}

function encodeWith(p: Prefix, payload: Uint8Array): string {
  const out = new Uint8Array(p.bytes.length + payload.length);
  out.set(p.bytes);
  out.set(payload, p.bytes.length);
  return b58.encode(out);
}

/** Binary key hash (21 bytes: tag + 20-byte hash) from its `tz1/tz2/tz3/tz4` form. */
export function keyHashToBytes(s: string): Uint8Array {
  const hit = keyHashCache.get(s);
  if (hit !== undefined) return hit;
  const { tag, payload } = decodeWith(KEY_HASH_PREFIXES, s, "key_hash");
  const b = concat(Uint8Array.of(tag), payload);
  if (keyHashCache.size >= 10_000) keyHashCache.clear();
  keyHashCache.set(s, b);
  return b;
}
const keyHashCache = new Map<string, Uint8Array>();
/** `tz1...` form of a binary key hash. @throws {MichelsonTypeError} on a bad tag or length. */
export function keyHashFromBytes(b: Uint8Array): string {
  const p = KEY_HASH_PREFIXES[b[0] ?? 255];
  if (p === undefined || b.length !== 21)
    throw new MichelsonTypeError("ill_typed_data", "invalid key_hash bytes");
  return encodeWith(p, b.subarray(1));
}

/** A decoded address: its 22-byte binary contract encoding and its entrypoint ("" = default). */
export interface DecodedAddress {
  readonly raw: Uint8Array;
  readonly entrypoint: string;
}

/**
 * Decodes `tz1...`, `KT1...`, optionally followed by `%entrypoint`.
 *
 * @throws {MichelsonTypeError} code `MICHELSON_ILL_TYPED_DATA` for anything else.
 */
export function decodeAddress(s: string): DecodedAddress {
  // Base58check decoding dominates small contract calls; addresses repeat, so memoize them.
  const hit = addressCache.get(s);
  if (hit !== undefined) return hit;
  const d = decodeAddressUncached(s);
  if (addressCache.size >= 10_000) addressCache.clear();
  addressCache.set(s, d);
  return d;
}

const addressCache = new Map<string, DecodedAddress>();

function decodeAddressUncached(s: string): DecodedAddress {
  const pct = s.indexOf("%");
  const base = pct < 0 ? s : s.slice(0, pct);
  const ep = pct < 0 ? "" : s.slice(pct + 1);
  if (pct >= 0) checkEntrypointName(ep, s);
  // `%default` is implicit: an address may not name it explicitly.
  if (ep === "default")
    throw new MichelsonTypeError("ill_typed_data", "an address cannot name %default explicitly", {
      value: s,
    });
  if (base.startsWith("KT1")) {
    const { payload } = decodeWith([KT1], base, "address");
    const raw = new Uint8Array(22);
    raw[0] = 1;
    raw.set(payload, 1);
    return { raw, entrypoint: ep };
  }
  const kh = keyHashToBytes(base);
  return { raw: concat(Uint8Array.of(0), kh), entrypoint: ep };
}

/** Text form of a binary address (+ entrypoint). */
export function encodeAddress(raw: Uint8Array, entrypoint = ""): string {
  let base: string;
  if (raw[0] === 0) base = keyHashFromBytes(raw.subarray(1, 22));
  else if (raw[0] === 1 && raw[21] === 0) base = encodeWith(KT1, raw.subarray(1, 21));
  else throw new MichelsonTypeError("ill_typed_data", "invalid address bytes");
  return entrypoint === "" || entrypoint === "default" ? base : `${base}%${entrypoint}`;
}

/**
 * The KT1 address the protocol derives for the `index`-th origination (counting from 0) of the
 * operation with the given 32-byte hash: blake2b-160 of the hash followed by the index (int32 BE).
 *
 * @example originatedAddress(new Uint8Array(32), 1) // "KT1Mjjcb6tmSsLm7Cb3DSQszePjfchPM4Uxm"
 */
export function originatedAddress(operationHash: Uint8Array, index: number): string {
  if (operationHash.length !== 32) {
    throw new MichelsonTypeError(
      "ill_typed_data",
      `expected a 32-byte operation hash, got ${operationHash.length}`,
    );
  }
  const nonce = new Uint8Array(36);
  nonce.set(operationHash);
  new DataView(nonce.buffer).setUint32(32, index >>> 0);
  return encodeWith(KT1, blake2b(nonce, { dkLen: 20 }));
}

/** Binary address (22 bytes + entrypoint bytes) as PACK writes it. */
export function addressBytes(a: DecodedAddress): Uint8Array {
  return a.entrypoint === "" ? a.raw : concat(a.raw, new TextEncoder().encode(a.entrypoint));
}

/** Parses binary address bytes (possibly with entrypoint suffix). */
export function addressFromBytes(b: Uint8Array): DecodedAddress {
  if (b.length < 22) throw new MichelsonTypeError("ill_typed_data", "invalid address bytes: too short");
  const raw = b.slice(0, 22);
  encodeAddress(raw); // validates tag and padding
  const ep = new TextDecoder("utf-8", { fatal: true }).decode(b.subarray(22));
  if (ep !== "") checkEntrypointName(ep, ep);
  if (ep === "default")
    throw new MichelsonTypeError("ill_typed_data", "explicit default entrypoint in address bytes");
  return { raw, entrypoint: ep };
}

/** Whether `s` is a well-formed tz1/tz2/tz3/tz4/KT1 address (optionally with `%entrypoint`). */
export function isValidAddress(s: string): boolean {
  try {
    decodeAddress(s);
    return true;
  } catch {
    return false;
  }
}

/** Whether `s` is a well-formed implicit account address (tz1/tz2/tz3/tz4). */
export function isImplicitAddress(s: string): boolean {
  try {
    return decodeAddress(s).raw[0] === 0;
  } catch {
    return false;
  }
}

/** Entrypoint names: at most 31 chars of `[a-zA-Z0-9_.%@]`. */
export function checkEntrypointName(ep: string, context: string): void {
  if (ep.length === 0 || ep.length > 31 || !/^[a-zA-Z0-9_.%@]+$/.test(ep)) {
    throw new MichelsonTypeError("ill_typed_data", `invalid entrypoint name "${ep}"`, { value: context });
  }
}

/** Binary public key (tag + key bytes) from `edpk/sppk/p2pk`. */
export function publicKeyToBytes(s: string): Uint8Array {
  const { tag, payload } = decodeWith(PUBLIC_KEY_PREFIXES, s, "key");
  return concat(Uint8Array.of(tag), payload);
}
/** Text form of a binary public key. */
export function publicKeyFromBytes(b: Uint8Array): string {
  const p = PUBLIC_KEY_PREFIXES[b[0] ?? 255];
  if (p === undefined || b.length !== p.payload + 1)
    throw new MichelsonTypeError("ill_typed_data", "invalid key bytes");
  return encodeWith(p, b.subarray(1));
}

/**
 * `tz1/tz2/tz3` key hash of a public key (`edpk...` text or binary tag+key).
 *
 * @example keyHashOfPublicKey("edpkuBknW28nW72KG6RoHtYW7p12T6GKc7nAbwYX5m8Wd9sDVC9yav") // "tz1..."
 */
export function keyHashOfPublicKey(pk: string | Uint8Array): string {
  const b = typeof pk === "string" ? publicKeyToBytes(pk) : pk;
  return keyHashFromBytes(keyHashBytesOfPublicKey(b));
}
/** Binary key hash (tag + blake2b-160) of a binary public key. */
export function keyHashBytesOfPublicKey(b: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(b[0]!), blake2b(b.subarray(1), { dkLen: 20 }));
}

/**
 * Raw 64 signature bytes from any of `edsig/spsig1/p2sig/sig`. The curve named by the text is
 * remembered for the returned array, so that it prints back the same way (the protocol keeps a
 * typed signature; one decoded from bytes is generic and prints as `sig...`).
 */
export function signatureToBytes(s: string): Uint8Array {
  const { tag, payload } = decodeWith(SIGNATURE_PREFIXES, s, "signature");
  const b = payload.slice();
  signatureCurves.set(b, tag);
  return b;
}
const signatureCurves = new WeakMap<Uint8Array, number>();

/** Text form of raw signature bytes: curve-specific if known, else generic `sig...`. */
export function signatureFromBytes(b: Uint8Array): string {
  if (b.length !== 64) throw new MichelsonTypeError("ill_typed_data", "invalid signature bytes");
  return encodeWith(SIGNATURE_PREFIXES[signatureCurves.get(b) ?? 3]!, b);
}

/** 4 chain id bytes from `Net...`. */
export function chainIdToBytes(s: string): Uint8Array {
  return decodeWith([CHAIN_ID_PREFIX], s, "chain_id").payload.slice();
}
/** `Net...` form of 4 chain id bytes. */
export function chainIdFromBytes(b: Uint8Array): string {
  if (b.length !== 4) throw new MichelsonTypeError("ill_typed_data", "invalid chain_id bytes");
  return encodeWith(CHAIN_ID_PREFIX, b);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}
export function fromHex(h: string): Uint8Array {
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) {
    throw new MichelsonTypeError("ill_typed_data", "invalid bytes literal", { value: h });
  }
  return Uint8Array.from(Buffer.from(h, "hex"));
}
