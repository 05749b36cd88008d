/**
 * Scripts: splitting `parameter`/`storage`/`code`/`view` sections, typechecking them once into a
 * cached {@link TypedScript}, typechecking data, and entrypoint resolution for the RPC.
 */
import { MichelsonTypeError } from "./errors.js";
import { expandMicheline, isPrim, isSeq, isString, parseMichelson, describe } from "./micheline.js";
import type { Micheline } from "./micheline.js";
import type { Ty } from "./types.js";
import {
  isPackable,
  isPassable,
  isStorable,
  parseType,
  showType,
  tList,
  tPair,
  tyEq,
  typeToMicheline,
  T_OPERATION,
} from "./types.js";
import { parseData, unparseData } from "./values.js";
import type { UnparsingMode } from "./values.js";
import { compileSeq } from "./typecheck.js";
import type { Instr, TcContext } from "./typecheck.js";
import { entrypointsOf, resolveEntrypointTy } from "./entrypoints.js";
import { encodeMicheline } from "./binary.js";
import { encodeAddress } from "./encoding.js";
import type { DecodedAddress } from "./encoding.js";

/** An on-chain view declared in a script. */
export interface ScriptView {
  readonly name: string;
  readonly input: Micheline;
  readonly output: Micheline;
  readonly code: Micheline;
}

/** A script split into its sections (Micheline, macros expanded). */
export interface Script {
  readonly parameter: Micheline;
  readonly storage: Micheline;
  readonly code: Micheline;
  readonly views: readonly ScriptView[];
  /** The sections as given, in order (what the node stores and returns as `script.code`). */
  readonly sections: readonly Micheline[];
}

/** The compiled form used by the interpreter (treat as opaque). */
export interface CompiledScript {
  readonly parameter: Ty;
  readonly storage: Ty;
  readonly code: Instr;
  readonly views: ReadonlyMap<string, { readonly input: Ty; readonly output: Ty; readonly body: Instr }>;
}

/** An entrypoint's type and the Left/Right wrapping from the root parameter to it. */
export interface EntrypointInfo {
  readonly type: Micheline;
  readonly path: readonly ("Left" | "Right")[];
}

/** A typechecked script. Build it once per contract and reuse it for every call. */
export interface TypedScript {
  readonly script: Script;
  readonly parameterType: Micheline;
  readonly storageType: Micheline;
  /** Annotated entrypoints, as the `/entrypoints` RPC lists them. */
  readonly entrypoints: Readonly<Record<string, Micheline>>;
  /** Size of the binary-encoded script sections, in bytes. */
  readonly sizeBytes: number;
  readonly compiled: CompiledScript;
}

/**
 * Splits a script into sections. Accepts Michelson text or Micheline JSON (the node's
 * `script.code`); macros are expanded in both.
 *
 * @throws {MichelsonTypeError} code `MICHELSON_ILL_TYPED_CONTRACT` on missing/duplicate sections.
 * @example parseScript("parameter unit; storage unit; code { CDR ; NIL operation ; PAIR }")
 */
export function parseScript(src: string | Micheline): Script {
  const m = typeof src === "string" ? parseMichelson(src) : expandMicheline(src);
  if (!isSeq(m))
    throw new MichelsonTypeError("ill_typed_contract", "a script is a sequence of sections", {
      path: "script",
    });
  let parameter: Micheline | undefined;
  let storage: Micheline | undefined;
  let code: Micheline | undefined;
  const views: ScriptView[] = [];
  m.forEach((sec, i) => {
    const path = `script[${i}]`;
    if (!isPrim(sec))
      throw new MichelsonTypeError("ill_typed_contract", `unexpected ${describe(sec)}`, { path });
    const args = sec.args ?? [];
    const one = (): Micheline => {
      if (args.length !== 1)
        throw new MichelsonTypeError("ill_typed_contract", `${sec.prim} expects one argument`, { path });
      return args[0]!;
    };
    switch (sec.prim) {
      case "parameter":
        if (parameter !== undefined)
          throw new MichelsonTypeError("ill_typed_contract", "duplicate parameter section", { path });
        if ((sec.annots ?? []).length > 0) {
          // Since Jakarta the root entrypoint is named on the type: `parameter (or %root ...)`.
          throw new MichelsonTypeError(
            "ill_typed_contract",
            "annotations on the parameter keyword are not allowed",
            { path },
          );
        }
        parameter = one();
        break;
      case "storage":
        if (storage !== undefined)
          throw new MichelsonTypeError("ill_typed_contract", "duplicate storage section", { path });
        storage = one();
        break;
      case "code":
        if (code !== undefined)
          throw new MichelsonTypeError("ill_typed_contract", "duplicate code section", { path });
        code = one();
        break;
      case "view": {
        const [name, input, output, body] = args;
        if (args.length !== 4 || name === undefined || !isString(name)) {
          throw new MichelsonTypeError("ill_typed_contract", "view expects a name, two types and code", {
            path,
          });
        }
        checkViewName(name.string, path);
        if (views.some((v) => v.name === name.string)) {
          throw new MichelsonTypeError("ill_typed_contract", `duplicate view ${name.string}`, { path });
        }
        views.push({ name: name.string, input: input!, output: output!, code: body! });
        break;
      }
      default:
        throw new MichelsonTypeError("ill_typed_contract", `unknown section ${sec.prim}`, { path });
    }
  });
  if (parameter === undefined || storage === undefined || code === undefined) {
    throw new MichelsonTypeError(
      "ill_typed_contract",
      "a script needs parameter, storage and code sections",
      {
        path: "script",
      },
    );
  }
  checkAnnotations(m, "script");
  return { parameter, storage, code, views, sections: m };
}

/** View names: 1 to 31 characters of `[a-zA-Z0-9_.%@]`, as the protocol requires. */
export function checkViewName(name: string, path: string): void {
  if (!/^[a-zA-Z0-9_.%@]{1,31}$/.test(name)) {
    throw new MichelsonTypeError("ill_typed_contract", `invalid view name "${name}"`, { path, value: name });
  }
}

const ANNOT = /^[@:%]($|@$|%$|%%$|[_0-9a-zA-Z][_0-9a-zA-Z.%@]*$)/;

/** Annotations must be well formed (the text parser checks this; JSON input is checked here). */
function checkAnnotations(m: Micheline, path: string): void {
  if (isSeq(m)) {
    m.forEach((x, i) => checkAnnotations(x, `${path}[${i}]`));
  } else if (isPrim(m)) {
    for (const a of m.annots ?? []) {
      if (a.length > 255 || !ANNOT.test(a)) {
        throw new MichelsonTypeError("parse_error", `malformed annotation ${JSON.stringify(a)}`, {
          path,
          value: a,
        });
      }
    }
    (m.args ?? []).forEach((x, i) => checkAnnotations(x, `${path}.args[${i}]`));
  }
}

/** Assigns the protocol's node locations (pre-order indices from the root sequence). */
function numberNodes(root: Micheline): WeakMap<object, number> {
  const map = new WeakMap<object, number>();
  let n = 0;
  const walk = (m: Micheline): void => {
    map.set(m as object, n++);
    if (isSeq(m)) m.forEach(walk);
    else if (isPrim(m)) (m.args ?? []).forEach(walk);
  };
  walk(root);
  return map;
}

/** Options for typechecking scripts and data that contain `contract` literals. */
export interface TypecheckOptions {
  /** Parameter type of a contract's entrypoint (Micheline), or null; `address` may carry `%ep`. */
  readonly contractType?: (address: string) => Micheline | null;
}

function tcFromOptions(opts: TypecheckOptions | undefined): TcContext {
  const lookup = opts?.contractType;
  return {
    contractType:
      lookup === undefined
        ? undefined
        : (a: DecodedAddress): Ty | null => {
            const t = lookup(encodeAddress(a.raw, a.entrypoint));
            return t === null ? null : parseType(t);
          },
    checkScript: checkInnerScript,
  };
}

function checkInnerScript(sections: Micheline, path: string): { parameter: Ty; storage: Ty } {
  const typed = typecheckScript(parseScript(sections), undefined, path);
  return { parameter: typed.compiled.parameter, storage: typed.compiled.storage };
}

/**
 * Typechecks a script: its parameter must be passable, its storage storable, its code must map
 * `pair parameter storage` to `pair (list operation) storage`, and views must be well typed.
 *
 * @throws {MichelsonTypeError} with a `path` such as `code[2].then[0]` locating the faulty node.
 */
export function typecheckScript(script: Script, opts?: TypecheckOptions, basePath = ""): TypedScript {
  const p = (s: string): string => (basePath === "" ? s : `${basePath}.${s}`);
  const param = parseType(script.parameter, p("parameter"));
  const storage = parseType(script.storage, p("storage"));
  if (!isPassable(param))
    throw new MichelsonTypeError("ill_typed_contract", "parameter type contains operation", {
      path: p("parameter"),
    });
  if (!isStorable(storage)) {
    throw new MichelsonTypeError("ill_typed_contract", "storage type contains operation or contract", {
      path: p("storage"),
    });
  }
  const eps = entrypointsOf(param);
  const locations = numberNodes(script.sections);
  const base = tcFromOptions(opts);
  const tc: TcContext = { ...base, selfType: param, locations };
  const body = compileSeq(script.code, [tPair(param, storage)], tc, p("code"));
  const expected = tPair(tList(T_OPERATION), storage);
  if (body.out !== null && (body.out.length !== 1 || !tyEq(body.out[0]!, expected))) {
    throw new MichelsonTypeError(
      "ill_typed_contract",
      `code must end with [${showType(expected)}], ends with [${body.out.map((t) => showType(t)).join(" : ")}]`,
      { path: p("code") },
    );
  }
  const views = new Map<string, { input: Ty; output: Ty; body: Instr }>();
  for (const v of script.views) {
    const vp = p(`view.${v.name}`);
    const input = parseType(v.input, `${vp}.input`);
    const output = parseType(v.output, `${vp}.output`);
    if (!isPackable(input) || !isPackable(output)) {
      throw new MichelsonTypeError("ill_typed_contract", `view ${v.name} types must be packable`, {
        path: vp,
      });
    }
    const vc = compileSeq(
      v.code,
      [tPair(input, storage)],
      { ...base, locations, inView: true },
      `${vp}.code`,
    );
    if (vc.out !== null && (vc.out.length !== 1 || !tyEq(vc.out[0]!, output))) {
      throw new MichelsonTypeError("ill_typed_contract", `view ${v.name} must return ${showType(output)}`, {
        path: vp,
      });
    }
    views.set(v.name, { input, output, body: vc.f });
  }
  const entrypoints: Record<string, Micheline> = {};
  for (const [name, e] of eps) entrypoints[name] = stripFieldOnTop(typeToMicheline(e.type));
  return {
    script,
    parameterType: script.parameter,
    storageType: script.storage,
    entrypoints,
    sizeBytes: encodeMicheline(script.sections).length,
    compiled: { parameter: param, storage, code: body.f, views },
  };
}

function stripFieldOnTop(m: Micheline): Micheline {
  if (!isPrim(m) || m.annots === undefined) return m;
  const annots = m.annots.filter((a) => !a.startsWith("%"));
  const { annots: _drop, ...rest } = m;
  return annots.length > 0 ? { ...rest, annots } : rest;
}

/**
 * Parses and validates a type (arity, comparability of set elements and map keys).
 *
 * @throws {MichelsonTypeError} code `MICHELSON_ILL_FORMED_TYPE`.
 */
export function typecheckType(type: Micheline): void {
  parseType(type);
}

/** Whether values of this type can be PACKed (and used with FAILWITH). */
export function isPackableType(type: Micheline): boolean {
  return isPackable(parseType(type));
}

/**
 * Checks that `value` has type `type` (both forms: readable strings or optimized bytes/ints).
 *
 * @throws {MichelsonTypeError} code `MICHELSON_ILL_TYPED_DATA` with the path of the bad node.
 * @example typecheckData({ prim: "nat" }, { int: "-1" }) // throws: value -1 is not of type nat
 */
export function typecheckData(type: Micheline, value: Micheline, opts?: TypecheckOptions): void {
  parseData(parseType(type), value, tcFromOptions(opts), "value");
}

/**
 * Typechecks `value` and returns it in canonical form (`readable` by default: addresses and
 * timestamps as strings, combs flattened; `optimized`: bytes and ints, as PACK-like forms).
 *
 * @throws {MichelsonTypeError} code `MICHELSON_ILL_TYPED_DATA`.
 */
export function normalizeData(
  type: Micheline,
  value: Micheline,
  mode: UnparsingMode = "readable",
  opts?: TypecheckOptions,
): Micheline {
  const t = parseType(type);
  return unparseData(t, parseData(t, value, tcFromOptions(opts), "value"), mode);
}

/**
 * Resolves an entrypoint of a parameter type: `"default"`/`""` is the `%default` branch if
 * annotated, else the whole parameter; other names are field annotations on `or` branches
 * (or the root annotation).
 *
 * @returns the entrypoint's type and the Left/Right path, or null when there is none.
 * @example resolveEntrypoint(parseMichelson("or (unit %a) (nat %b)"), "b") // { type: nat, path: ["Right"] }
 */
export function resolveEntrypoint(parameterType: Micheline, name: string): EntrypointInfo | null {
  const r = resolveEntrypointTy(parseType(parameterType), name);
  return r === null ? null : { type: stripFieldOnTop(typeToMicheline(r.type)), path: r.path };
}

/** The annotated entrypoints of a parameter type (name → type), as the `/entrypoints` RPC. */
export function listEntrypoints(parameterType: Micheline): Record<string, Micheline> {
  const out: Record<string, Micheline> = {};
  for (const [name, e] of entrypointsOf(parseType(parameterType)))
    out[name] = stripFieldOnTop(typeToMicheline(e.type));
  return out;
}

/** The node's `script.code` form of a script (its sections). */
export function scriptToMicheline(script: Script): Micheline {
  return script.sections;
}
