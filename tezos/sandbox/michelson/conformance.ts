/**
 * A small opcode-conformance runner in the style of the protocol's opcode tests
 * (`octez-client run script <contract> on storage <s> and input <p>`): run a script on a
 * parameter and storage and compare the resulting storage, or the failure, with an expectation.
 */
import { MichelsonRuntimeError, MichelsonTypeError } from "./errors.js";
import { formatMicheline, parseMichelson } from "./micheline.js";
import type { ExecutionContext } from "./execute.js";
import { execute, defaultContext } from "./execute.js";
import { parseScript, typecheckScript } from "./script.js";
import type { Micheline } from "./micheline.js";
import { parseType } from "./types.js";
import { parseData, unparseData } from "./values.js";

/** Expected failure: the error kind, and for FAILWITH optionally the failing value (text). */
export interface ExpectedFailure {
  readonly fails:
    | "failwith"
    | "overflow"
    | "tez_addition_overflow"
    | "tez_subtraction_underflow"
    | "gas_exhausted"
    | "ill_typed";
  readonly with?: string;
}

/** One case: script text, parameter and storage as Michelson text, expected storage or failure. */
export interface ConformanceCase {
  readonly name: string;
  readonly script: string;
  readonly parameter: string;
  readonly storage: string;
  readonly expected: string | ExpectedFailure;
  readonly context?: Partial<ExecutionContext>;
  readonly entrypoint?: string;
}

export interface ConformanceResult {
  readonly ok: boolean;
  /** What happened: the new storage (text) or `fails <kind> [with <value>]`. */
  readonly actual: string;
  readonly expected: string;
}

function describeExpected(e: string | ExpectedFailure): string {
  return typeof e === "string" ? e : `fails ${e.fails}${e.with !== undefined ? ` with ${e.with}` : ""}`;
}

/**
 * Runs one case. Storage results are compared after normalizing both sides to the storage type
 * (so `Pair 1 2 3` and `Pair 1 (Pair 2 3)` or `"1970-01-01T00:00:00Z"` and `0` compare equal).
 */
export function runConformanceCase(c: ConformanceCase): ConformanceResult {
  const expected = describeExpected(c.expected);
  let typed;
  try {
    typed = typecheckScript(parseScript(c.script));
  } catch (e) {
    if (e instanceof MichelsonTypeError) {
      const ok = typeof c.expected !== "string" && c.expected.fails === "ill_typed";
      return { ok, actual: `fails ill_typed (${e.message})`, expected };
    }
    throw e;
  }
  try {
    const r = execute(
      typed,
      {
        entrypoint: c.entrypoint,
        parameter: parseMichelson(c.parameter),
        storage: parseMichelson(c.storage),
        mode: "readable",
      },
      defaultContext(c.context),
    );
    const actual = canonical(typed.storageType, r.storage);
    if (typeof c.expected !== "string") return { ok: false, actual, expected };
    const want = canonical(typed.storageType, parseMichelson(c.expected));
    return { ok: want === actual, actual, expected: want };
  } catch (e) {
    if (e instanceof MichelsonRuntimeError) {
      const w = e.with_ === undefined ? "" : ` with ${formatMicheline(e.with_)}`;
      const actual = `fails ${e.kind}${w}`;
      if (typeof c.expected === "string") return { ok: false, actual, expected };
      const withOk =
        c.expected.with === undefined || (e.with_ !== undefined && sameData(c.expected.with, e.with_));
      return { ok: c.expected.fails === e.kind && withOk, actual, expected };
    }
    if (e instanceof MichelsonTypeError) {
      const ok = typeof c.expected !== "string" && c.expected.fails === "ill_typed";
      return { ok, actual: `fails ill_typed (${e.message})`, expected };
    }
    throw e;
  }
}

/** Readable text of a storage value; big-map ids are kept as ids (they name no content here). */
function canonical(type: Micheline, value: Micheline): string {
  const t = parseType(type);
  const v = parseData(t, value, { bigMap: (id) => ({ entries: [], id }) }, "storage");
  return formatMicheline(unparseData(t, v, "readable", true));
}

function sameData(expectedText: string, actual: Parameters<typeof formatMicheline>[0]): boolean {
  return formatMicheline(parseMichelson(expectedText)) === formatMicheline(actual);
}
