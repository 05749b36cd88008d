/**
 * Runtime values, their typechecking from Micheline (both readable and optimized forms), their
 * unparsing back to Micheline, and the total order COMPARE uses.
 *
 * Representation (the static type always says which one applies):
 * int/nat/mutez/timestamp: bigint · string: string · bytes/key_hash/key/signature/chain_id:
 * Uint8Array (binary encoding) · bool: boolean · unit: UNIT · pair: [l, r] · or: {left, v} ·
 * option: null | {some} · list: V[] · set: sorted V[] · map/big_map: MapV (sorted entries) ·
 * address: DecodedAddress · contract: ContractV · lambda: LambdaV · operation: OperationV.
 */
import { MichelsonTypeError } from "./errors.js";
import { isBytes, isInt, isPrim, isSeq, isString, prim, describe } from "./micheline.js";
import type { Micheline } from "./micheline.js";
import type { Ty } from "./types.js";
import { parseType, showType, tyEq } from "./types.js";
import {
  addressBytes,
  addressFromBytes,
  chainIdFromBytes,
  chainIdToBytes,
  compareBytes,
  decodeAddress,
  encodeAddress,
  fromHex,
  keyHashFromBytes,
  keyHashToBytes,
  publicKeyFromBytes,
  publicKeyToBytes,
  signatureFromBytes,
  signatureToBytes,
  toHex,
} from "./encoding.js";
import type { DecodedAddress } from "./encoding.js";
import type { CompiledLambda, TcContext } from "./typecheck.js";
import { compileLambdaValue } from "./typecheck.js";
import type { InternalOperation } from "./execute.js";
import { frFromBytes, frOfInt, frToBytes, pointFromBytes, pointToBytes } from "./bls.js";
import type { BlsPointV } from "./bls.js";

export const UNIT: { readonly unit: true } = Object.freeze({ unit: true as const });
export type UnitV = typeof UNIT;
export interface OrV {
  readonly left: boolean;
  readonly v: V;
}
export type OptionV = null | { readonly some: V };
export interface MapV {
  readonly entries: readonly (readonly [V, V])[];
  /** big_map identifier when it lives in the ledger; null for in-memory maps. */
  readonly id?: bigint | null;
}
export interface ContractV {
  readonly addr: DecodedAddress;
  readonly ty: Ty;
}
export interface LambdaV {
  readonly code: Micheline;
  readonly compiled: CompiledLambda;
  readonly rec: boolean;
}
export interface OperationV {
  readonly op: InternalOperation;
}
/** A ticket: created by `ticketer`, carrying `contents`, worth `amount` (> 0). */
export interface TicketV {
  readonly ticketer: DecodedAddress;
  readonly contents: V;
  readonly amount: bigint;
}
export type V =
  | bigint
  | string
  | boolean
  | Uint8Array
  | UnitV
  | readonly [V, V]
  | OrV
  | OptionV
  | readonly V[]
  | MapV
  | DecodedAddress
  | ContractV
  | LambdaV
  | OperationV
  | BlsPointV
  | TicketV;

/** Unparsing mode: `readable` prints addresses/keys/timestamps as strings; `optimized` as bytes/ints. */
export type UnparsingMode = "readable" | "optimized";
/** Internal: PACK keeps pairs binary (`Optimized_legacy` in the protocol) so hashes stay stable. */
export type AnyUnparsingMode = UnparsingMode | "optimized_legacy";

const MUTEZ_MAX = (1n << 63n) - 1n;
export { MUTEZ_MAX };

// ---------------------------------------------------------------- comparison

/**
 * Total order on comparable values, as the protocol defines it: None < Some, Left < Right,
 * False < True, pairs lexicographic, addresses implicit < originated then entrypoint.
 */
export function compareValues(t: Ty, a: V, b: V): number {
  switch (t.prim) {
    case "int":
    case "nat":
    case "mutez":
    case "timestamp": {
      const x = a as bigint;
      const y = b as bigint;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case "string": {
      // The protocol compares strings bytewise (they are ASCII printable).
      const x = a as string;
      const y = b as string;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case "bytes":
    case "key_hash":
    case "key":
    case "signature":
    case "chain_id":
      return compareBytes(a as Uint8Array, b as Uint8Array);
    case "bool":
      return a === b ? 0 : a ? 1 : -1;
    case "unit":
    case "never":
      return 0;
    case "address": {
      const x = a as DecodedAddress;
      const y = b as DecodedAddress;
      const c = compareBytes(x.raw, y.raw);
      if (c !== 0) return c;
      return x.entrypoint < y.entrypoint ? -1 : x.entrypoint > y.entrypoint ? 1 : 0;
    }
    case "pair": {
      const x = a as readonly [V, V];
      const y = b as readonly [V, V];
      const c = compareValues(t.args[0]!, x[0], y[0]);
      return c !== 0 ? c : compareValues(t.args[1]!, x[1], y[1]);
    }
    case "or": {
      const x = a as OrV;
      const y = b as OrV;
      if (x.left !== y.left) return x.left ? -1 : 1;
      return compareValues(t.args[x.left ? 0 : 1]!, x.v, y.v);
    }
    case "option": {
      const x = a as OptionV;
      const y = b as OptionV;
      if (x === null) return y === null ? 0 : -1;
      if (y === null) return 1;
      return compareValues(t.args[0]!, x.some, y.some);
    }
    default:
      throw new MichelsonTypeError("ill_typed_contract", `type ${showType(t)} is not comparable`);
  }
}

/** Index of `k` in sorted `keys` (>= 0) or `-(insertion point) - 1`. */
export function binarySearch<E>(t: Ty, items: readonly E[], k: V, key: (e: E) => V): number {
  let lo = 0;
  let hi = items.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareValues(t, key(items[mid]!), k);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

// ---------------------------------------------------------------- typechecking data

function illTyped(t: Ty, m: Micheline, path: string, why?: string): MichelsonTypeError {
  return new MichelsonTypeError(
    "ill_typed_data",
    `value ${describe(m)} is not of type ${showType(t)}${why ? `: ${why}` : ""}`,
    { path, value: m },
  );
}

function checkString(s: string, t: Ty, m: Micheline, path: string): void {
  // Michelson strings: printable ASCII plus \n, no other control characters.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 32 || c > 126) && c !== 10) throw illTyped(t, m, path, "invalid character in string");
  }
}

/** RFC 3339 → seconds since epoch, as the protocol's timestamp notation. */
export function parseTimestamp(s: string): bigint | null {
  const re = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
  const r = re.exec(s);
  if (r === null) return null;
  const [y, mo, d, h, mi, se] = [r[1], r[2], r[3], r[4], r[5], r[6]].map((x) => Number(x));
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 23 || mi! > 59 || se! > 60) return null;
  let offset = 0;
  const tz = r[8]!;
  if (tz !== "Z" && tz !== "z") {
    const sign = tz[0] === "-" ? -1 : 1;
    offset = sign * (Number(tz.slice(1, 3)) * 3600 + Number(tz.slice(4, 6)) * 60);
  }
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, se!);
  if (Number.isNaN(ms)) return null;
  return BigInt(Math.floor(ms / 1000) - offset);
}

/** Seconds since epoch → RFC 3339 (`YYYY-MM-DDTHH:MM:SSZ`), or null outside years 0000-9999. */
export function formatTimestamp(v: bigint): string | null {
  // Bounds: 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
  if (v < -62167219200n || v > 253402300799n) return null;
  const iso = new Date(Number(v) * 1000).toISOString();
  return `${iso.slice(0, 19)}Z`;
}

function parseBytesOrString<R>(
  t: Ty,
  m: Micheline,
  path: string,
  fromString: (s: string) => R,
  fromBytes: (b: Uint8Array) => R,
): R {
  try {
    if (isString(m)) return fromString(m.string);
    if (isBytes(m)) return fromBytes(fromHex(m.bytes));
  } catch (e) {
    if (e instanceof MichelsonTypeError) throw illTyped(t, m, path, e.message);
    throw e;
  }
  throw illTyped(t, m, path);
}

/** Flattens `Pair a b c` / `{a; b; c}` into nested binary pair form for a right-comb type. */
function pairParts(t: Ty, m: Micheline, path: string): [Micheline, Micheline] {
  if (isPrim(m) && m.prim === "Pair" && (m.annots === undefined || m.annots.length === 0)) {
    const args = m.args ?? [];
    if (args.length < 2) throw illTyped(t, m, path, "Pair needs at least 2 arguments");
    if (args.length === 2) return [args[0]!, args[1]!];
    return [args[0]!, prim("Pair", args.slice(1))];
  }
  if (isSeq(m)) {
    // Sequences of length >= 2 denote right combs (since protocol Edo).
    if (m.length < 2) throw illTyped(t, m, path);
    if (m.length === 2) return [m[0]!, m[1]!];
    return [m[0]!, m.slice(1)];
  }
  throw illTyped(t, m, path);
}

function primArgs(m: Micheline, name: string, n: number): readonly Micheline[] | null {
  if (!isPrim(m) || m.prim !== name) return null;
  const args = m.args ?? [];
  if (args.length !== n) return null;
  if (m.annots !== undefined && m.annots.length > 0) return null;
  return args;
}

/**
 * Typechecks a Micheline value against a type and returns its runtime value.
 *
 * @throws {MichelsonTypeError} code `MICHELSON_ILL_TYPED_DATA` with the path of the offending node.
 */
export function parseData(t: Ty, m: Micheline, tc: TcContext, path = "data"): V {
  switch (t.prim) {
    case "int":
    case "nat":
    case "mutez": {
      if (!isInt(m)) throw illTyped(t, m, path);
      let v: bigint;
      try {
        v = BigInt(m.int);
      } catch {
        throw illTyped(t, m, path);
      }
      if (t.prim !== "int" && v < 0n) throw illTyped(t, m, path, "negative");
      if (t.prim === "mutez" && v > MUTEZ_MAX) throw illTyped(t, m, path, "mutez out of range");
      return v;
    }
    case "string": {
      if (!isString(m)) throw illTyped(t, m, path);
      checkString(m.string, t, m, path);
      return m.string;
    }
    case "bytes":
      if (!isBytes(m)) throw illTyped(t, m, path);
      try {
        return fromHex(m.bytes);
      } catch {
        throw illTyped(t, m, path);
      }
    case "bool":
      if (primArgs(m, "True", 0)) return true;
      if (primArgs(m, "False", 0)) return false;
      throw illTyped(t, m, path);
    case "unit":
      if (primArgs(m, "Unit", 0)) return UNIT;
      throw illTyped(t, m, path);
    case "never":
      throw illTyped(t, m, path, "type never has no values");
    case "timestamp": {
      if (isInt(m)) return BigInt(m.int);
      if (isString(m)) {
        const v = parseTimestamp(m.string);
        if (v !== null) return v;
      }
      throw illTyped(t, m, path);
    }
    case "key_hash":
      return parseBytesOrString(t, m, path, keyHashToBytes, (b) => {
        keyHashFromBytes(b);
        return b;
      });
    case "key":
      return parseBytesOrString(t, m, path, publicKeyToBytes, (b) => {
        publicKeyFromBytes(b);
        return b;
      });
    case "signature":
      return parseBytesOrString(t, m, path, signatureToBytes, (b) => {
        signatureFromBytes(b);
        return b;
      });
    case "chain_id":
      return parseBytesOrString(t, m, path, chainIdToBytes, (b) => {
        chainIdFromBytes(b);
        return b;
      });
    case "address":
      return parseBytesOrString(t, m, path, decodeAddress, addressFromBytes);
    case "contract": {
      const addr = parseBytesOrString(t, m, path, decodeAddress, addressFromBytes);
      const ty = t.args[0]!;
      if (tc.contractType === undefined) {
        throw illTyped(t, m, path, "contract values cannot be checked here (no context)");
      }
      const found = tc.contractType(addr);
      if (found === null) throw illTyped(t, m, path, "no such contract or entrypoint");
      if (!tyEqLoose(found, ty)) throw illTyped(t, m, path, `entrypoint has type ${showType(found)}`);
      return { addr, ty } satisfies ContractV;
    }
    case "pair": {
      const [l, r] = pairParts(t, m, path);
      return [parseData(t.args[0]!, l, tc, `${path}.0`), parseData(t.args[1]!, r, tc, `${path}.1`)] as const;
    }
    case "or": {
      let a = primArgs(m, "Left", 1);
      if (a) return { left: true, v: parseData(t.args[0]!, a[0]!, tc, `${path}.Left`) } satisfies OrV;
      a = primArgs(m, "Right", 1);
      if (a) return { left: false, v: parseData(t.args[1]!, a[0]!, tc, `${path}.Right`) } satisfies OrV;
      throw illTyped(t, m, path);
    }
    case "option": {
      if (primArgs(m, "None", 0)) return null;
      const a = primArgs(m, "Some", 1);
      if (a) return { some: parseData(t.args[0]!, a[0]!, tc, `${path}.Some`) };
      throw illTyped(t, m, path);
    }
    case "list": {
      if (!isSeq(m)) throw illTyped(t, m, path);
      return m.map((x, i) => parseData(t.args[0]!, x, tc, `${path}[${i}]`));
    }
    case "set": {
      if (!isSeq(m)) throw illTyped(t, m, path);
      const et = t.args[0]!;
      const out: V[] = [];
      m.forEach((x, i) => {
        const v = parseData(et, x, tc, `${path}[${i}]`);
        if (out.length > 0 && compareValues(et, out[out.length - 1]!, v) >= 0) {
          throw illTyped(t, m, `${path}[${i}]`, "set elements must be strictly increasing");
        }
        out.push(v);
      });
      return out;
    }
    case "map":
    case "big_map": {
      if (t.prim === "big_map" && isInt(m)) {
        const found = tc.bigMap?.(BigInt(m.int), t);
        if (found === undefined || found === null) throw illTyped(t, m, path, "unknown big_map id");
        return found;
      }
      if (!isSeq(m)) throw illTyped(t, m, path);
      const [kt, vt] = [t.args[0]!, t.args[1]!];
      const entries: (readonly [V, V])[] = [];
      m.forEach((x, i) => {
        const a = primArgs(x, "Elt", 2);
        if (!a) throw illTyped(t, m, `${path}[${i}]`, "expected Elt");
        const k = parseData(kt, a[0]!, tc, `${path}[${i}].key`);
        if (entries.length > 0 && compareValues(kt, entries[entries.length - 1]![0], k) >= 0) {
          throw illTyped(t, m, `${path}[${i}]`, "map keys must be strictly increasing");
        }
        entries.push([k, parseData(vt, a[1]!, tc, `${path}[${i}].value`)]);
      });
      return { entries, id: null } satisfies MapV;
    }
    case "ticket": {
      // `Ticket "KT1.." cty contents amount` (explicit form) or `Pair "KT1.." contents amount`
      // (the form the node prints tickets in storage).
      const ct = t.args[0]!;
      let parts: readonly Micheline[];
      const explicit = primArgs(m, "Ticket", 4);
      if (explicit) {
        const declared = parseType(explicit[1]!, `${path}.type`);
        if (!tyEq(declared, ct)) throw illTyped(t, m, path, "ticket contents type mismatch");
        parts = [explicit[0]!, explicit[2]!, explicit[3]!];
      } else {
        const [a, rest] = pairParts(t, m, path);
        const [c, n] = pairParts(t, rest, path);
        parts = [a, c, n];
      }
      const ticketer = parseData(
        { prim: "address", args: [] },
        parts[0]!,
        tc,
        `${path}.ticketer`,
      ) as DecodedAddress;
      const contents = parseData(ct, parts[1]!, tc, `${path}.contents`);
      const amount = parseData({ prim: "nat", args: [] }, parts[2]!, tc, `${path}.amount`) as bigint;
      if (amount === 0n) throw illTyped(t, m, path, "zero-amount tickets are not allowed");
      return { ticketer, contents, amount } satisfies TicketV;
    }
    case "lambda": {
      const rec = isPrim(m) && m.prim === "Lambda_rec";
      const code = rec ? ((m as { args?: readonly Micheline[] }).args ?? [])[0] : m;
      if (
        code === undefined ||
        !isSeq(code) ||
        (rec && ((m as { args?: unknown[] }).args?.length ?? 0) !== 1)
      ) {
        throw illTyped(t, m, path, "expected a code sequence");
      }
      const compiled = compileLambdaValue(t.args[0]!, t.args[1]!, code, rec, tc, path);
      return { code, compiled, rec } satisfies LambdaV;
    }
    case "operation":
      throw illTyped(t, m, path, "operation values cannot be written literally");
    case "bls12_381_fr":
      if (isInt(m)) return frOfInt(BigInt(m.int));
      return parseBytesOrString(
        t,
        m,
        path,
        () => {
          throw illTyped(t, m, path);
        },
        frFromBytes,
      );
    case "bls12_381_g1":
    case "bls12_381_g2": {
      const group = t.prim === "bls12_381_g1" ? "g1" : "g2";
      return parseBytesOrString(
        t,
        m,
        path,
        () => {
          throw illTyped(t, m, path);
        },
        (b) => pointFromBytes(group, b),
      );
    }
    default:
      throw new MichelsonTypeError("unsupported", `values of type ${showType(t)} are not supported`, {
        path,
      });
  }
}

function tyEqLoose(a: Ty, b: Ty): boolean {
  if (a.prim !== b.prim || a.args.length !== b.args.length) return false;
  return a.args.every((x, i) => tyEqLoose(x, b.args[i]!));
}

// ---------------------------------------------------------------- unparsing

/** Micheline form of a value; pairs follow the protocol's unparser (flattened in readable mode). */
export function unparseData(t: Ty, v: V, mode: AnyUnparsingMode, bigMapIds = false): Micheline {
  switch (t.prim) {
    case "int":
    case "nat":
    case "mutez":
      return { int: (v as bigint).toString() };
    case "timestamp": {
      if (mode === "readable") {
        const s = formatTimestamp(v as bigint);
        if (s !== null) return { string: s };
      }
      return { int: (v as bigint).toString() };
    }
    case "string":
      return { string: v as string };
    case "bytes":
      return { bytes: toHex(v as Uint8Array) };
    case "bool":
      return prim(v ? "True" : "False");
    case "unit":
      return prim("Unit");
    case "key_hash":
      return mode === "readable"
        ? { string: keyHashFromBytes(v as Uint8Array) }
        : { bytes: toHex(v as Uint8Array) };
    case "key":
      return mode === "readable"
        ? { string: publicKeyFromBytes(v as Uint8Array) }
        : { bytes: toHex(v as Uint8Array) };
    case "signature":
      return mode === "readable"
        ? { string: signatureFromBytes(v as Uint8Array) }
        : { bytes: toHex(v as Uint8Array) };
    case "chain_id":
      return mode === "readable"
        ? { string: chainIdFromBytes(v as Uint8Array) }
        : { bytes: toHex(v as Uint8Array) };
    case "address": {
      const a = v as DecodedAddress;
      return mode === "readable"
        ? { string: encodeAddress(a.raw, a.entrypoint) }
        : { bytes: toHex(addressBytes(a)) };
    }
    case "contract": {
      const a = (v as ContractV).addr;
      return mode === "readable"
        ? { string: encodeAddress(a.raw, a.entrypoint) }
        : { bytes: toHex(addressBytes(a)) };
    }
    case "pair": {
      const [a, b] = v as readonly [V, V];
      const l = unparseData(t.args[0]!, a, mode, bigMapIds);
      const r = unparseData(t.args[1]!, b, mode, bigMapIds);
      const rIsPairType = t.args[1]!.prim === "pair";
      if (rIsPairType && mode === "readable" && isPrim(r) && r.prim === "Pair") {
        return prim("Pair", [l, ...(r.args ?? [])]);
      }
      if (rIsPairType && mode === "optimized") {
        if (isSeq(r)) return [l, ...r];
        const r2 = t.args[1]!.args[1]!;
        if (r2.prim === "pair" && isPrim(r) && r.prim === "Pair" && r.args?.length === 2) {
          const inner = r.args[1]!;
          if (isPrim(inner) && inner.prim === "Pair" && inner.args?.length === 2) {
            return [l, r.args[0]!, inner.args[0]!, inner.args[1]!];
          }
        }
      }
      return prim("Pair", [l, r]);
    }
    case "or": {
      const o = v as OrV;
      return prim(o.left ? "Left" : "Right", [unparseData(t.args[o.left ? 0 : 1]!, o.v, mode, bigMapIds)]);
    }
    case "option": {
      const o = v as OptionV;
      return o === null ? prim("None") : prim("Some", [unparseData(t.args[0]!, o.some, mode, bigMapIds)]);
    }
    case "list":
    case "set":
      return (v as readonly V[]).map((x) => unparseData(t.args[0]!, x, mode, bigMapIds));
    case "map":
    case "big_map": {
      const mv = v as MapV;
      if (bigMapIds && t.prim === "big_map" && mv.id !== undefined && mv.id !== null)
        return { int: mv.id.toString() };
      return mv.entries.map(([k, x]) =>
        prim("Elt", [
          unparseData(t.args[0]!, k, mode, bigMapIds),
          unparseData(t.args[1]!, x, mode, bigMapIds),
        ]),
      );
    }
    case "ticket": {
      const k = v as TicketV;
      const addr = unparseData({ prim: "address", args: [] }, k.ticketer, mode, bigMapIds);
      const contents = unparseData(t.args[0]!, k.contents, mode, bigMapIds);
      const amount = { int: k.amount.toString() };
      return mode === "readable"
        ? prim("Pair", [addr, contents, amount])
        : prim("Pair", [addr, prim("Pair", [contents, amount])]);
    }
    case "lambda": {
      const l = v as LambdaV;
      return l.rec ? prim("Lambda_rec", [l.code]) : l.code;
    }
    case "operation":
      throw new MichelsonTypeError("unsupported", "operations cannot be unparsed as data");
    case "bls12_381_fr":
      return { bytes: toHex(frToBytes(v as bigint)) };
    case "bls12_381_g1":
    case "bls12_381_g2":
      return { bytes: toHex(pointToBytes(v as BlsPointV)) };
    default:
      throw new MichelsonTypeError("unsupported", `values of type ${showType(t)} cannot be unparsed`);
  }
}
