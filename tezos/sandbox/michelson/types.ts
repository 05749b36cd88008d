/**
 * Michelson types: parsing from Micheline (pair combs expanded to nested binary pairs), equality
 * up to annotations, and the attribute checks the protocol applies (comparable, packable,
 * pushable, storable, passable, duplicable, big_map value).
 */
import { MichelsonTypeError } from "./errors.js";
import { isInt, isPrim, prim, describe } from "./micheline.js";
import type { Micheline } from "./micheline.js";

/** A parsed type. `field` is the `%annot` (entrypoint or field name), kept for entrypoints. */
export interface Ty {
  readonly prim: string;
  readonly args: readonly Ty[];
  readonly field?: string;
  /** For `sapling_state n` / `sapling_transaction n`. */
  readonly size?: bigint;
}

const NULLARY = new Set([
  "int",
  "nat",
  "string",
  "bytes",
  "mutez",
  "bool",
  "unit",
  "key",
  "key_hash",
  "signature",
  "timestamp",
  "address",
  "operation",
  "chain_id",
  "never",
  "bls12_381_g1",
  "bls12_381_g2",
  "bls12_381_fr",
  "chest",
  "chest_key",
]);
const UNARY = new Set(["option", "list", "set", "contract", "ticket"]);
const BINARY = new Set(["or", "lambda", "map", "big_map"]);

const T = (p: string, args: readonly Ty[] = []): Ty => ({ prim: p, args });
export const T_INT = T("int");
export const T_NAT = T("nat");
export const T_STRING = T("string");
export const T_BYTES = T("bytes");
export const T_MUTEZ = T("mutez");
export const T_BOOL = T("bool");
export const T_UNIT = T("unit");
export const T_KEY = T("key");
export const T_KEY_HASH = T("key_hash");
export const T_SIGNATURE = T("signature");
export const T_TIMESTAMP = T("timestamp");
export const T_ADDRESS = T("address");
export const T_OPERATION = T("operation");
export const T_CHAIN_ID = T("chain_id");
export const T_NEVER = T("never");
export const tOption = (a: Ty): Ty => T("option", [a]);
export const tList = (a: Ty): Ty => T("list", [a]);
export const tSet = (a: Ty): Ty => T("set", [a]);
export const tContract = (a: Ty): Ty => T("contract", [a]);
export const tTicket = (a: Ty): Ty => T("ticket", [a]);
export const tPair = (a: Ty, b: Ty): Ty => T("pair", [a, b]);
export const tOr = (a: Ty, b: Ty): Ty => T("or", [a, b]);
export const tLambda = (a: Ty, b: Ty): Ty => T("lambda", [a, b]);
export const tMap = (k: Ty, v: Ty): Ty => T("map", [k, v]);

function fieldOf(annots: readonly string[] | undefined, path: string): string | undefined {
  if (annots === undefined) return undefined;
  let field: string | undefined;
  for (const a of annots) {
    if (a.startsWith("%")) {
      if (field !== undefined)
        throw new MichelsonTypeError("ill_formed_type", "more than one field annotation", { path });
      field = a.slice(1);
    } else if (!a.startsWith(":") && !a.startsWith("@")) {
      throw new MichelsonTypeError("ill_formed_type", `unexpected annotation ${a}`, { path });
    }
  }
  return field;
}

/**
 * Parses a Micheline type. `pair a b c` becomes `pair a (pair b c)`.
 *
 * @throws {MichelsonTypeError} code `MICHELSON_ILL_FORMED_TYPE` on unknown types, bad arity, or a
 *   non-comparable set element / map key.
 */
export function parseType(m: Micheline, path = "type"): Ty {
  if (!isPrim(m))
    throw new MichelsonTypeError("ill_formed_type", `expected a type, got ${describe(m)}`, { path });
  const args = m.args ?? [];
  const field = fieldOf(m.annots, path);
  const withField = (t: Ty): Ty => (field === undefined ? t : { ...t, field });
  const arity = (n: number): void => {
    if (args.length !== n) {
      throw new MichelsonTypeError(
        "ill_formed_type",
        `type ${m.prim} expects ${n} argument(s), got ${args.length}`,
        {
          path,
        },
      );
    }
  };
  const sub = (i: number): Ty => parseType(args[i]!, `${path}.args[${i}]`);
  if (NULLARY.has(m.prim)) {
    arity(0);
    return withField(T(m.prim));
  }
  if (UNARY.has(m.prim)) {
    arity(1);
    const a = sub(0);
    if (m.prim === "set") requireComparable(a, `${path}.args[0]`);
    if (m.prim === "ticket") requireComparable(a, `${path}.args[0]`);
    return withField(T(m.prim, [a]));
  }
  if (BINARY.has(m.prim)) {
    arity(2);
    const a = sub(0);
    const b = sub(1);
    if (m.prim === "map" || m.prim === "big_map") requireComparable(a, `${path}.args[0]`);
    if (m.prim === "big_map" && !isBigMapValue(b)) {
      throw new MichelsonTypeError(
        "ill_formed_type",
        "big_map values cannot contain big_map, operation or sapling_state",
        {
          path,
        },
      );
    }
    return withField(T(m.prim, [a, b]));
  }
  if (m.prim === "pair") {
    if (args.length < 2)
      throw new MichelsonTypeError("ill_formed_type", "pair expects at least 2 arguments", { path });
    const parts = args.map((_, i) => sub(i));
    let acc = parts[parts.length - 1]!;
    for (let i = parts.length - 2; i >= 0; i--) acc = T("pair", [parts[i]!, acc]);
    return withField(acc);
  }
  if (m.prim === "sapling_state" || m.prim === "sapling_transaction") {
    arity(1);
    const n = args[0]!;
    if (!isInt(n)) throw new MichelsonTypeError("ill_formed_type", `${m.prim} expects a memo size`, { path });
    return withField({ prim: m.prim, args: [], size: BigInt(n.int) });
  }
  throw new MichelsonTypeError("ill_formed_type", `unknown type ${m.prim}`, { path, value: m.prim });
}

/** Micheline form of a type (pairs as nested binary pairs; field annotations kept). */
export function typeToMicheline(t: Ty): Micheline {
  const annots = t.field === undefined ? undefined : [`%${t.field}`];
  if (t.size !== undefined) return prim(t.prim, [{ int: t.size.toString() }], annots);
  return prim(
    t.prim,
    t.args.map((a) => typeToMicheline(a)),
    annots,
  );
}

/** Structural equality, ignoring annotations (as the protocol's `ty_eq`). */
export function tyEq(a: Ty, b: Ty): boolean {
  if (a === b) return true;
  if (a.prim !== b.prim || a.args.length !== b.args.length || a.size !== b.size) return false;
  for (let i = 0; i < a.args.length; i++) if (!tyEq(a.args[i]!, b.args[i]!)) return false;
  return true;
}

export function showType(t: Ty): string {
  return describe(typeToMicheline(t));
}

const COMPARABLE_LEAVES = new Set([
  "unit",
  "never",
  "bool",
  "int",
  "nat",
  "string",
  "bytes",
  "mutez",
  "key_hash",
  "key",
  "signature",
  "timestamp",
  "address",
  "chain_id",
]);

export function isComparable(t: Ty): boolean {
  if (COMPARABLE_LEAVES.has(t.prim)) return true;
  if (t.prim === "pair" || t.prim === "or") return isComparable(t.args[0]!) && isComparable(t.args[1]!);
  if (t.prim === "option") return isComparable(t.args[0]!);
  return false;
}

export function requireComparable(t: Ty, path: string): void {
  if (!isComparable(t))
    throw new MichelsonTypeError("ill_formed_type", `type ${showType(t)} is not comparable`, { path });
}

/** Whether any node of `t` satisfies `bad` (children are visited except inside lambdas, whose values are code). */
function contains(t: Ty, bad: (t: Ty) => boolean): boolean {
  if (bad(t)) return true;
  if (t.prim === "lambda") return false;
  return t.args.some((a) => contains(a, bad));
}

const isOpLike = (t: Ty): boolean =>
  t.prim === "operation" || t.prim === "sapling_state" || t.prim === "ticket";

/** PACK, FAILWITH, UNPACK: no operation, big_map, sapling_state, ticket. */
export function isPackable(t: Ty): boolean {
  return !contains(t, (x) => isOpLike(x) || x.prim === "big_map");
}
/** PUSH and APPLY: packable and no contract. */
export function isPushable(t: Ty): boolean {
  return !contains(t, (x) => isOpLike(x) || x.prim === "big_map" || x.prim === "contract");
}
/** Storage: no operation, contract. */
export function isStorable(t: Ty): boolean {
  return !contains(t, (x) => x.prim === "operation" || x.prim === "contract");
}
/** Parameter: no operation. */
export function isPassable(t: Ty): boolean {
  return !contains(t, (x) => x.prim === "operation");
}
/** DUP: no ticket. */
export function isDuplicable(t: Ty): boolean {
  return !contains(t, (x) => x.prim === "ticket");
}
export function isBigMapValue(t: Ty): boolean {
  return !contains(t, (x) => x.prim === "big_map" || x.prim === "operation" || x.prim === "sapling_state");
}
