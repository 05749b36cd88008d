/**
 * Proof that a secp256k1 signature was made by a key the signer already knows, without a public
 * key recovery. Recovery lifts R from `r` and solves for the key, which needs a square root and a
 * two-point walk without tables; here the key is known, so `R = u1·G + u2·Q` is computed against a
 * table precomputed once per key and compared with `r` and the recovery bit. For a low-s signature
 * with 1 ≤ r, s < n, the result is true exactly when recovering with `yParity` gives Q back.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex } from "@noble/hashes/utils.js";

type Point = ReturnType<typeof secp256k1.Point.fromBytes>;

const Point = secp256k1.Point;
const Fn = Point.Fn;
const N = Point.CURVE().n;
const HALF_N = N >> 1n;
/** Width of the per-key table: 2^7 points per 8-bit window, about 4,200 points (under 1 MB). */
const WINDOW = 8;
/** Keys whose tables are kept; a signer holds a handful of hot keys. */
const MAX_KEYS = 64;

// Insertion order doubles as age: the oldest table is dropped when a new key would overflow.
const tables = new Map<string, Point>();

// A copy of G with the same 8-bit windows as the keys: noble's BASE is tabled with 6-bit windows
// (44 additions per product instead of 33), a third slower here.
let generator: Point | undefined;

function generatorTable(): Point {
  generator ??= Point.fromAffine(Point.BASE.toAffine()).precompute(WINDOW);
  return generator;
}

function tableOf(publicKey: Uint8Array): Point {
  const hex = bytesToHex(publicKey);
  const cached = tables.get(hex);
  if (cached !== undefined) return cached;
  // fromBytes refuses encodings that are not a point of the curve (and the point at infinity).
  // Lazy: the first multiplyUnsafe builds the public-scalar table. An eager precompute would build
  // the wider table of noble's blinded constant-time path, which nothing here uses.
  const point = Point.fromBytes(publicKey).precompute(WINDOW);
  if (tables.size >= MAX_KEYS) tables.delete(tables.keys().next().value!);
  tables.set(hex, point);
  return point;
}

function digestScalar(digest: Uint8Array): bigint {
  let h = 0n;
  for (const byte of digest) h = (h << 8n) | BigInt(byte);
  return Fn.create(h);
}

/**
 * True when `(r, s, yParity)` is a low-s ECDSA signature of the 32-byte `digest` by `publicKey`
 * (33- or 65-byte SEC1), and recovering it with `yParity` gives that key. All inputs are public,
 * so the arithmetic need not be constant-time. Never throws: malformed input is simply false.
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
  try {
    if (typeof r !== "bigint" || typeof s !== "bigint") return false;
    if (r < 1n || r >= N || s < 1n || s > HALF_N) return false;
    if (!(digest instanceof Uint8Array) || digest.length !== 32) return false;
    if (yParity !== 0 && yParity !== 1) return false;
    const q = tableOf(publicKey);
    const w = Fn.inv(s);
    const u1 = Fn.mul(digestScalar(digest), w);
    const u2 = Fn.mul(r, w);
    const R = generatorTable().multiplyUnsafe(u1).add(q.multiplyUnsafe(u2));
    if (R.is0()) return false;
    const { x, y } = R.toAffine();
    // Recovery with bit 0 or 1 lifts x = r itself, so R.x = r + n (possible as p > n) is not it.
    return x === r && Number(y & 1n) === yParity;
  } catch {
    return false;
  }
}
