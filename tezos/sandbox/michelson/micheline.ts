/**
 * Micheline, the JSON form of Michelson that the node RPC and Taquito exchange, plus parsing of
 * Michelson source text (with macro expansion) through `@taquito/michel-codec`.
 */
import { Parser, emitMicheline } from "@taquito/michel-codec";
import type { Expr } from "@taquito/michel-codec";
import { MichelsonTypeError } from "./errors.js";

/** A primitive application: an instruction, a type, or a data constructor. */
export interface MichelinePrim {
  readonly prim: string;
  readonly args?: readonly Micheline[];
  readonly annots?: readonly string[];
}
/** An integer literal (decimal string, arbitrary precision). */
export interface MichelineInt {
  readonly int: string;
}
/** A string literal. */
export interface MichelineString {
  readonly string: string;
}
/** A bytes literal (lower-case hex without `0x`). */
export interface MichelineBytes {
  readonly bytes: string;
}
/** A Micheline node as the node RPC and Taquito use it. */
export type Micheline =
  | MichelinePrim
  | MichelineInt
  | MichelineString
  | MichelineBytes
  | readonly Micheline[];

const parser = new Parser({ expandMacros: true });

/**
 * Parses Michelson source text (a script, an instruction sequence or a data expression) into
 * Micheline, expanding the standard macros (CMPEQ, IFCMPEQ, ASSERT_*, DUUP, CADR, SET_CAR...).
 *
 * @throws {MichelsonTypeError} code `MICHELSON_PARSE_ERROR` when the text is not Micheline.
 * @example parseMichelson("{ CAR ; NIL operation ; PAIR }")
 */
export function parseMichelson(src: string): Micheline {
  let expr: Expr | null;
  try {
    const trimmed = src.trim();
    // A bare script (`parameter ..; storage ..; code ..`) or sequence is parsed as a sequence.
    // Comments may precede the first section.
    const head = trimmed.replace(/^(\s*(#[^\n]*(\n|$)|\/\*[\s\S]*?\*\/))*\s*/, "");
    if (/^(parameter|storage|code|view)\b/.test(head)) {
      expr = parser.parseScript(trimmed);
    } else {
      // A bare application such as `Pair 1 2` or `option nat` is one expression: parenthesize it.
      const wrapped = /^[A-Za-z_]\S*\s+\S/.test(trimmed) ? `(${trimmed})` : trimmed;
      expr = parser.parseMichelineExpression(wrapped);
    }
  } catch (e) {
    throw new MichelsonTypeError("parse_error", `cannot parse Michelson: ${(e as Error).message}`, {
      value: src.slice(0, 200),
    });
  }
  if (expr === null) {
    throw new MichelsonTypeError("parse_error", "cannot parse Michelson: empty input", { value: src });
  }
  // Drop the parser's source-position symbols so values compare and serialize as plain JSON.
  return JSON.parse(JSON.stringify(expr)) as Micheline;
}

/**
 * Expands macros in Micheline JSON (for scripts submitted by a client that did not expand them).
 *
 * @throws {MichelsonTypeError} code `MICHELSON_PARSE_ERROR` when the JSON is not Micheline.
 */
export function expandMicheline(m: Micheline): Micheline {
  try {
    return JSON.parse(JSON.stringify(parser.parseJSON(m as object))) as Micheline;
  } catch (e) {
    throw new MichelsonTypeError("parse_error", `invalid Micheline JSON: ${(e as Error).message}`, {});
  }
}

/** Prints Micheline as Michelson text (single line), e.g. for error messages and the README. */
export function formatMicheline(m: Micheline): string {
  return emitMicheline(m as Expr);
}

export function isPrim(m: Micheline): m is MichelinePrim {
  return !Array.isArray(m) && typeof m === "object" && m !== null && "prim" in m;
}
export function isInt(m: Micheline): m is MichelineInt {
  return !Array.isArray(m) && typeof m === "object" && m !== null && "int" in m;
}
export function isString(m: Micheline): m is MichelineString {
  return !Array.isArray(m) && typeof m === "object" && m !== null && "string" in m;
}
export function isBytes(m: Micheline): m is MichelineBytes {
  return !Array.isArray(m) && typeof m === "object" && m !== null && "bytes" in m;
}
export function isSeq(m: Micheline): m is readonly Micheline[] {
  return Array.isArray(m);
}

/** Builds a primitive node, omitting empty `args`/`annots` as the RPC does. */
export function prim(name: string, args?: readonly Micheline[], annots?: readonly string[]): MichelinePrim {
  const node: { prim: string; args?: readonly Micheline[]; annots?: readonly string[] } = { prim: name };
  if (args !== undefined && args.length > 0) node.args = args;
  if (annots !== undefined && annots.length > 0) node.annots = annots;
  return node;
}

/** Short printable form of a node for error messages, bounded in size. */
export function describe(m: Micheline): string {
  let s: string;
  try {
    s = formatMicheline(m);
  } catch {
    s = JSON.stringify(m);
  }
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
