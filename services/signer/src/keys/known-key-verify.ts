/**
 * Proof that a secp256k1 signature was made by a key the signer already knows: the key recovered
 * with the given bit, by libsecp256k1 (decision 1040), must be that key byte for byte. Recovery is
 * what an Ethereum node does with the signature, so a yes here means the node will see our
 * address as the sender.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { recoverPublicKey } from "./libsecp256k1.js";

const N = secp256k1.Point.CURVE().n;
const HALF_N = N >> 1n;

function word(value: bigint, into: Uint8Array, at: number): void {
  let v = value;
  for (let i = at + 31; i >= at; i--) {
    into[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * The key that recovering `(r, s, yParity)` over the 32-byte `digest` gives, in the encoding asked
 * for, when the signature is low-s with 1 ≤ r < n and 1 ≤ s ≤ n/2; null otherwise. Never throws.
 *
 * @example
 * const key = keyOfSignature(digest, r, s, 0, false);
 */
export function keyOfSignature(
  digest: Uint8Array,
  r: bigint,
  s: bigint,
  yParity: 0 | 1,
  compressed: boolean,
): Uint8Array | null {
  if (typeof r !== "bigint" || typeof s !== "bigint") return null;
  if (r < 1n || r >= N || s < 1n || s > HALF_N) return null;
  if (!(digest instanceof Uint8Array) || digest.length !== 32) return null;
  if (yParity !== 0 && yParity !== 1) return null;
  const rs = new Uint8Array(64);
  word(r, rs, 0);
  word(s, rs, 32);
  return recoverPublicKey(digest, rs, yParity, compressed);
}

/**
 * True when `(r, s, yParity)` is a low-s ECDSA signature of the 32-byte `digest` by `publicKey`
 * (33- or 65-byte SEC1), and recovering it with `yParity` gives that key. All inputs are public.
 * Never throws: malformed input is simply false.
 *
 * @example
 * const ok = isSignatureOfKey(info.publicKey, digest, r, s, 1);
 */
export function isSignatureOfKey(
  publicKey: Uint8Array,
  digest: Uint8Array,
  r: bigint,
  s: bigint,
  yParity: 0 | 1,
): boolean {
  if (!(publicKey instanceof Uint8Array) || (publicKey.length !== 33 && publicKey.length !== 65))
    return false;
  const recovered = keyOfSignature(digest, r, s, yParity, publicKey.length === 33);
  return recovered !== null && sameBytes(recovered, publicKey);
}
