/**
 * The two prime-order scalar groups the toolkit shares keys over, behind one small interface so
 * that secret sharing and commitments are written once.
 *
 * - `ed25519Group`: the prime-order subgroup of edwards25519 (order L), little-endian scalars,
 *   32-byte compressed Edwards points (RFC 8032 encoding). Decoding is strict: canonical
 *   encodings only, and points outside the prime-order subgroup are refused.
 * - `secp256k1Group`: order n, big-endian scalars, 33-byte SEC1-compressed points.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToNumberBE, bytesToNumberLE, numberToBytesBE, numberToBytesLE } from "@noble/curves/utils.js";
import { InvalidInputError } from "../errors.js";
import type { Rng } from "./entropy.js";

/** Names of the supported groups, as they appear in files. */
export type GroupName = "ed25519" | "secp256k1";

/** The operations secret sharing and FROST need from a prime-order group. */
export interface Group<P> {
  readonly name: GroupName;
  /** Prime order of the group (and modulus of the scalar field). */
  readonly order: bigint;
  /** Length in bytes of an encoded scalar. */
  readonly scalarLength: number;
  /** Length in bytes of an encoded point. */
  readonly pointLength: number;
  mod(a: bigint): bigint;
  add(a: bigint, b: bigint): bigint;
  sub(a: bigint, b: bigint): bigint;
  mul(a: bigint, b: bigint): bigint;
  /** Multiplicative inverse; throws on zero. */
  inv(a: bigint): bigint;
  /** A uniformly random non-zero scalar drawn from `rng` (wide reduction, no visible bias). */
  randomScalar(rng: Rng): bigint;
  encodeScalar(s: bigint): Uint8Array;
  /** Decodes a canonical scalar (`< order`); throws InvalidInputError otherwise. */
  decodeScalar(bytes: Uint8Array, field?: string): bigint;
  readonly identity: P;
  readonly generator: P;
  /** `s·G`, using the library's precomputed base-point table. */
  baseMul(s: bigint): P;
  /** `s·P` in variable time: public scalars only (verification, commitments); `s` may be zero. */
  pointMul(p: P, s: bigint): P;
  pointAdd(a: P, b: P): P;
  pointEquals(a: P, b: P): boolean;
  isIdentity(p: P): boolean;
  encodePoint(p: P): Uint8Array;
  /** Decodes and validates a point (on curve, canonical, prime-order subgroup, not identity). */
  decodePoint(bytes: Uint8Array, field?: string): P;
}

type EdPoint = InstanceType<typeof ed25519.Point>;
type SecpPoint = InstanceType<typeof secp256k1.Point>;

interface Backend<P> {
  name: GroupName;
  order: bigint;
  pointLength: number;
  littleEndian: boolean;
  ZERO: P;
  BASE: P;
  fromBytes(b: Uint8Array): P;
  checkSubgroup(p: P): boolean;
  toBytes(p: P): Uint8Array;
  add(a: P, b: P): P;
  equals(a: P, b: P): boolean;
  is0(p: P): boolean;
  multiply(p: P, s: bigint): P;
  multiplyUnsafe(p: P, s: bigint): P;
}

function makeGroup<P>(b: Backend<P>): Group<P> {
  const n = b.order;
  const mod = (a: bigint): bigint => {
    const r = a % n;
    return r < 0n ? r + n : r;
  };
  const encodeScalar = (s: bigint): Uint8Array =>
    b.littleEndian ? numberToBytesLE(mod(s), 32) : numberToBytesBE(mod(s), 32);
  const group: Group<P> = {
    name: b.name,
    order: n,
    scalarLength: 32,
    pointLength: b.pointLength,
    mod,
    add: (x, y) => mod(x + y),
    sub: (x, y) => mod(x - y),
    mul: (x, y) => mod(x * y),
    inv(a) {
      let r = mod(a);
      if (r === 0n) throw new InvalidInputError("scalar", "zero has no inverse");
      // Extended Euclid: inputs are public indices or coefficients, never secret here.
      let [old, cur, s0, s1] = [n, r, 0n, 1n];
      while (cur !== 0n) {
        const q = old / cur;
        [old, cur] = [cur, old - q * cur];
        [s0, s1] = [s1, s0 - q * s1];
      }
      r = mod(s0);
      return r;
    },
    randomScalar(rng) {
      for (;;) {
        // 64 bytes reduced modulo a 253/256-bit order: statistical distance < 2^-250.
        const wide = rng(64);
        if (wide.length !== 64) throw new InvalidInputError("rng", `expected 64 bytes, got ${wide.length}`);
        const s = mod(bytesToNumberLE(wide));
        if (s !== 0n) return s;
      }
    },
    encodeScalar,
    decodeScalar(bytes, field = "scalar") {
      if (!(bytes instanceof Uint8Array) || bytes.length !== 32)
        throw new InvalidInputError(field, `expected 32-byte scalar, got ${bytes?.length}`);
      const v = b.littleEndian ? bytesToNumberLE(bytes) : bytesToNumberBE(bytes);
      if (v >= n) throw new InvalidInputError(field, "scalar is not reduced modulo the group order");
      return v;
    },
    identity: b.ZERO,
    generator: b.BASE,
    baseMul: (s) => {
      const r = mod(s);
      return r === 0n ? b.ZERO : b.multiply(b.BASE, r);
    },
    pointMul: (p, s) => {
      const r = mod(s);
      return r === 0n ? b.ZERO : b.multiplyUnsafe(p, r);
    },
    pointAdd: b.add,
    pointEquals: b.equals,
    isIdentity: b.is0,
    encodePoint: b.toBytes,
    decodePoint(bytes, field = "point") {
      if (!(bytes instanceof Uint8Array) || bytes.length !== b.pointLength)
        throw new InvalidInputError(field, `expected ${b.pointLength}-byte point, got ${bytes?.length}`);
      let p: P;
      try {
        p = b.fromBytes(bytes);
      } catch {
        throw new InvalidInputError(field, "not a valid point encoding");
      }
      if (b.is0(p)) throw new InvalidInputError(field, "identity point is not allowed");
      if (!b.checkSubgroup(p)) throw new InvalidInputError(field, "point is not in the prime-order subgroup");
      return p;
    },
  };
  return Object.freeze(group);
}

/** Prime-order subgroup of edwards25519 (RFC 8032 encodings, little-endian scalars). */
export const ed25519Group: Group<EdPoint> = makeGroup<EdPoint>({
  name: "ed25519",
  order: ed25519.Point.Fn.ORDER,
  pointLength: 32,
  littleEndian: true,
  ZERO: ed25519.Point.ZERO,
  BASE: ed25519.Point.BASE,
  // zip215=false: only canonical encodings, as RFC 8032 and Wycheproof require.
  fromBytes: (bytes) => ed25519.Point.fromBytes(bytes, false),
  checkSubgroup: (p) => p.isTorsionFree(),
  toBytes: (p) => p.toBytes(),
  add: (a, c) => a.add(c),
  equals: (a, c) => a.equals(c),
  is0: (p) => p.is0(),
  multiply: (p, s) => p.multiply(s),
  multiplyUnsafe: (p, s) => p.multiplyUnsafe(s),
});

/** secp256k1 (order n, big-endian scalars, SEC1-compressed points). */
export const secp256k1Group: Group<SecpPoint> = makeGroup<SecpPoint>({
  name: "secp256k1",
  order: secp256k1.Point.Fn.ORDER,
  pointLength: 33,
  littleEndian: false,
  ZERO: secp256k1.Point.ZERO,
  BASE: secp256k1.Point.BASE,
  fromBytes: (bytes) => secp256k1.Point.fromBytes(bytes),
  // Cofactor 1: every curve point is in the prime-order group.
  checkSubgroup: () => true,
  toBytes: (p) => p.toBytes(true),
  add: (a, c) => a.add(c),
  equals: (a, c) => a.equals(c),
  is0: (p) => p.is0(),
  multiply: (p, s) => p.multiply(s),
  multiplyUnsafe: (p, s) => p.multiplyUnsafe(s),
});

/** Point type of {@link ed25519Group}. */
export type Ed25519Point = EdPoint;
/** Point type of {@link secp256k1Group}. */
export type Secp256k1Point = SecpPoint;

/**
 * Looks a group up by its file name.
 * @throws {InvalidInputError} for an unknown name.
 */
export function groupByName(name: string): Group<EdPoint> | Group<SecpPoint> {
  if (name === "ed25519") return ed25519Group;
  if (name === "secp256k1") return secp256k1Group;
  throw new InvalidInputError("group", `unknown group "${name}" (expected ed25519 or secp256k1)`);
}
