/**
 * BLS12-381 values: scalars (`bls12_381_fr`, 32 bytes little-endian, or an int literal reduced
 * modulo r) and points (`bls12_381_g1`/`g2`, Zcash uncompressed encodings of 96/192 bytes), with
 * the arithmetic and `PAIRING_CHECK` of the Michelson reference, over `@noble/curves`.
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { MichelsonTypeError } from "./errors.js";

const G1 = bls12_381.G1.Point;
const G2 = bls12_381.G2.Point;
const Fp12 = bls12_381.fields.Fp12;
/** Order of the scalar field. */
export const FR_ORDER: bigint = bls12_381.fields.Fr.ORDER;

type G1Point = ReturnType<typeof G1.fromBytes>;
type G2Point = ReturnType<typeof G2.fromBytes>;
/** A point value; the static type says which group. */
export type BlsPointV = { readonly g1: G1Point } | { readonly g2: G2Point };

/** Reduces any integer into [0, r). */
export function frOfInt(n: bigint): bigint {
  const r = n % FR_ORDER;
  return r < 0n ? r + FR_ORDER : r;
}

/** Scalar from up to 32 little-endian bytes; rejects values >= r. */
export function frFromBytes(b: Uint8Array): bigint {
  if (b.length > 32) throw new MichelsonTypeError("ill_typed_data", "bls12_381_fr takes at most 32 bytes");
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (v >= FR_ORDER) throw new MichelsonTypeError("ill_typed_data", "bls12_381_fr out of range");
  return v;
}

export function frToBytes(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Point from its uncompressed encoding; rejects points off the curve or the subgroup. */
export function pointFromBytes(group: "g1" | "g2", b: Uint8Array): BlsPointV {
  const size = group === "g1" ? 96 : 192;
  if (b.length !== size)
    throw new MichelsonTypeError("ill_typed_data", `bls12_381_${group} takes ${size} bytes`);
  try {
    return group === "g1" ? { g1: G1.fromBytes(b) } : { g2: G2.fromBytes(b) };
  } catch (e) {
    throw new MichelsonTypeError(
      "ill_typed_data",
      `invalid bls12_381_${group} point: ${(e as Error).message}`,
    );
  }
}

export function pointToBytes(p: BlsPointV): Uint8Array {
  return "g1" in p ? p.g1.toBytes(false) : p.g2.toBytes(false);
}

export function pointAdd(a: BlsPointV, b: BlsPointV): BlsPointV {
  return "g1" in a && "g1" in b
    ? { g1: a.g1.add(b.g1) }
    : { g2: (a as { g2: G2Point }).g2.add((b as { g2: G2Point }).g2) };
}

export function pointMul(a: BlsPointV, k: bigint): BlsPointV {
  return "g1" in a ? { g1: a.g1.multiplyUnsafe(k) } : { g2: a.g2.multiplyUnsafe(k) };
}

export function pointNeg(a: BlsPointV): BlsPointV {
  return "g1" in a ? { g1: a.g1.negate() } : { g2: a.g2.negate() };
}

/** Whether the product of the pairings e(g1_i, g2_i) is the identity. */
export function pairingCheck(pairs: readonly (readonly [BlsPointV, BlsPointV])[]): boolean {
  const terms: { g1: G1Point; g2: G2Point }[] = [];
  for (const [a, b] of pairs) {
    const g1 = (a as { g1: G1Point }).g1;
    const g2 = (b as { g2: G2Point }).g2;
    // A pairing with the point at infinity is 1: it does not change the product.
    if (g1.is0() || g2.is0()) continue;
    terms.push({ g1, g2 });
  }
  if (terms.length === 0) return true;
  return Fp12.eql(bls12_381.pairingBatch(terms), Fp12.ONE);
}
