/**
 * The instruction typechecker. It checks a code sequence against an input stack type and, in the
 * same pass, compiles every instruction into a closure over a mutable value stack, so a script
 * is typechecked once and then executed many times without re-inspecting Micheline.
 *
 * Stacks are arrays with the top at the end (both the type stack and the value stack).
 */
import { MichelsonRuntimeError, MichelsonTypeError } from "./errors.js";
import { isInt, isPrim, isSeq, describe } from "./micheline.js";
import type { Micheline, MichelinePrim } from "./micheline.js";
import type { Ty } from "./types.js";
import {
  T_ADDRESS,
  T_BOOL,
  T_BYTES,
  T_CHAIN_ID,
  T_INT,
  T_KEY_HASH,
  T_MUTEZ,
  T_NAT,
  T_OPERATION,
  T_STRING,
  T_TIMESTAMP,
  T_UNIT,
  isComparable,
  isDuplicable,
  isPackable,
  isPushable,
  parseType,
  showType,
  tContract,
  tLambda,
  tList,
  tMap,
  tOption,
  tOr,
  tPair,
  tSet,
  tTicket,
  tyEq,
  typeToMicheline,
} from "./types.js";
import { MUTEZ_MAX, UNIT, binarySearch, compareValues, parseData, unparseData } from "./values.js";
import type { ContractV, LambdaV, MapV, OperationV, OptionV, OrV, TicketV, V } from "./values.js";
import { packValue, unpackValue } from "./pack.js";
import {
  concat,
  encodeAddress,
  keyHashBytesOfPublicKey,
  keyHashFromBytes,
  decodeAddress,
} from "./encoding.js";
import type { DecodedAddress } from "./encoding.js";
import { checkSignature, hashBlake2b, hashKeccak, hashSha256, hashSha3, hashSha512 } from "./crypto.js";
import type { ExecutionContext, InternalOperation } from "./execute.js";
import { resolveEntrypointTy } from "./entrypoints.js";
import { frOfInt, pairingCheck, pointAdd, pointMul, pointNeg } from "./bls.js";
import type { BlsPointV } from "./bls.js";

/** State shared by the instructions of one execution. */
export interface Runtime {
  gas: number;
  readonly ctx: ExecutionContext;
  readonly tc: TcContext;
  readonly self: DecodedAddress;
  readonly sender: DecodedAddress;
  readonly source: DecodedAddress;
  readonly selfType: Ty;
  readonly chainIdBytes: Uint8Array;
  opCounter: number;
}

/** A compiled instruction: mutates the stack in place. */
export type Instr = (s: V[], rt: Runtime) => void;

/** A compiled lambda body: runs on a one-element stack `[arg]` (or `[self, arg]` when recursive). */
export interface CompiledLambda {
  readonly arg: Ty;
  readonly ret: Ty;
  readonly body: Instr;
}

/** What the typechecker knows about the surrounding script. */
export interface TcContext {
  /** Parameter type of the script, for SELF; absent inside lambdas (SELF is forbidden there). */
  readonly selfType?: Ty;
  /** Micheline node → protocol location (pre-order index), for runtime error locations. */
  readonly locations?: WeakMap<object, number>;
  /** Parameter type of an address's entrypoint, to typecheck `contract` literals; null if none. */
  readonly contractType?: (addr: DecodedAddress) => Ty | null;
  /** Resolves a big_map id from storage. */
  readonly bigMap?: (id: bigint, t: Ty) => MapV | null;
  /** Inside an on-chain view: instructions that emit operations are forbidden. */
  readonly inView?: boolean;
  /** Typechecks the script of CREATE_CONTRACT (injected to avoid a module cycle). */
  readonly checkScript?: (sections: Micheline, path: string) => { parameter: Ty; storage: Ty };
}

type Stack = Ty[];
interface Compiled {
  readonly f: Instr;
  /** Output stack, or null when the code always fails. */
  readonly out: Stack | null;
}

const GAS_PER_INSTR = 10;

function err(msg: string, path: string, value?: unknown): MichelsonTypeError {
  return new MichelsonTypeError("ill_typed_contract", msg, { path, value });
}

function showStack(st: Stack): string {
  return `[${st
    .slice()
    .reverse()
    .map((t) => showType(t))
    .join(" : ")}]`;
}

/** Merges the output stacks of two branches, which must agree unless one fails. */
function merge(a: Stack | null, b: Stack | null, path: string): Stack | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a.length !== b.length || a.some((t, i) => !tyEq(t, b[i]!))) {
    throw err(`branches have different stack types: ${showStack(a)} vs ${showStack(b)}`, path);
  }
  return a;
}

function gasExhausted(): MichelsonRuntimeError {
  return new MichelsonRuntimeError("gas_exhausted", "gas exhausted", -1);
}

/** Charges size-dependent gas (roughly one unit per 8 bytes/elements handled). */
export function charge(rt: Runtime, units: number): void {
  rt.gas -= units;
  if (rt.gas < 0) throw gasExhausted();
}

/**
 * Typechecks and compiles a code sequence.
 *
 * @throws {MichelsonTypeError} `MICHELSON_ILL_TYPED_CONTRACT` with the path of the faulty node.
 */
export function compileSeq(code: Micheline, st: Stack, tc: TcContext, path: string): Compiled {
  if (!isSeq(code)) throw err(`expected a sequence of instructions, got ${describe(code)}`, path);
  const fns: Instr[] = [];
  let cur: Stack | null = st;
  for (let i = 0; i < code.length; i++) {
    const p = `${path}[${i}]`;
    if (cur === null) throw err("instruction after a failing instruction (FAILWITH/NEVER) is unreachable", p);
    const c = compileInstr(code[i]!, cur, tc, p);
    fns.push(c.f);
    cur = c.out;
  }
  const n = fns.length;
  const f: Instr =
    n === 0
      ? () => {}
      : (s, rt) => {
          for (let i = 0; i < n; i++) {
            rt.gas -= GAS_PER_INSTR;
            if (rt.gas < 0) throw gasExhausted();
            fns[i]!(s, rt);
          }
        };
  return { f, out: cur };
}

/** Compiles a lambda value (PUSH/LAMBDA literal or UNPACKed code). */
export function compileLambdaValue(
  arg: Ty,
  ret: Ty,
  code: Micheline,
  rec: boolean,
  tc: TcContext,
  path: string,
): CompiledLambda {
  const inner: TcContext = { ...tc, selfType: undefined };
  const st: Stack = rec ? [tLambda(arg, ret), arg] : [arg];
  const c = compileSeq(code, st, inner, path);
  if (c.out !== null && (c.out.length !== 1 || !tyEq(c.out[0]!, ret))) {
    throw err(`lambda body must return [${showType(ret)}], returns ${showStack(c.out)}`, path);
  }
  return { arg, ret, body: c.f };
}

/** Runs a lambda on an argument. */
export function runLambda(l: LambdaV, arg: V, rt: Runtime): V {
  const s: V[] = l.rec ? [l, arg] : [arg];
  l.compiled.body(s, rt);
  return s[0]!;
}

// ---------------------------------------------------------------- helpers for instructions

function intArg(m: MichelinePrim, path: string, min: number, max = 1023): number {
  const a = m.args?.[0];
  if (a === undefined || !isInt(a)) throw err(`${m.prim} expects an integer argument`, path);
  const n = Number(a.int);
  if (!Number.isInteger(n) || n < min || n > max)
    throw err(`${m.prim} argument out of range: ${a.int}`, path);
  return n;
}

function arity(m: MichelinePrim, n: number, path: string): readonly Micheline[] {
  const args = m.args ?? [];
  if (args.length !== n) throw err(`${m.prim} expects ${n} argument(s), got ${args.length}`, path);
  return args;
}

function need(st: Stack, n: number, m: MichelinePrim, path: string): void {
  if (st.length < n) throw err(`${m.prim} needs ${n} stack element(s), stack is ${showStack(st)}`, path);
}

const top = (st: Stack, i = 0): Ty => st[st.length - 1 - i]!;
const rest = (st: Stack, n: number): Stack => st.slice(0, st.length - n);

function badTypes(m: MichelinePrim, st: Stack, n: number, path: string): MichelsonTypeError {
  const got = st
    .slice(st.length - n)
    .reverse()
    .map((t) => showType(t))
    .join(" : ");
  return err(`${m.prim} is not defined on [${got}]`, path);
}

function entrypointAnnot(m: MichelinePrim, path: string, allowDefault = true): string {
  let ep = "";
  for (const a of m.annots ?? []) {
    if (a.startsWith("%")) {
      if (ep !== "") throw err("more than one entrypoint annotation", path);
      ep = a.slice(1);
      if (ep === "") throw err("empty entrypoint annotation", path);
    }
  }
  if (ep === "default" && !allowDefault) throw err(`${m.prim} cannot name %default explicitly`, path);
  return ep === "default" ? "" : ep;
}

function overflow(loc: number, msg: string): MichelsonRuntimeError {
  return new MichelsonRuntimeError("overflow", msg, loc);
}

function mutezAdd(a: bigint, b: bigint): bigint {
  const r = a + b;
  if (r > MUTEZ_MAX)
    throw new MichelsonRuntimeError("tez_addition_overflow", "mutez addition overflow", -1, undefined, [
      a,
      b,
    ]);
  return r;
}

function mutezMul(a: bigint, b: bigint): bigint {
  const r = a * b;
  // The protocol reports mutez multiplication overflow as a plain arithmetic overflow.
  if (r > MUTEZ_MAX) throw new MichelsonRuntimeError("overflow", "unexpected arithmetic overflow", -1);
  return r;
}

/** Euclidean division: remainder in [0, |b|). */
function ediv(a: bigint, b: bigint): [bigint, bigint] {
  let q = a / b;
  let r = a % b;
  if (r < 0n) {
    r += b < 0n ? -b : b;
    q = b > 0n ? q - 1n : q + 1n;
  }
  return [q, r];
}

function bytesToBig(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}
function bigToBytes(v: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
/** Minimal big-endian two's complement (signed) or unsigned encoding; 0 is empty. */
function intToBytes(v: bigint, signed: boolean): Uint8Array {
  if (v === 0n) return new Uint8Array(0);
  let len = 1;
  if (signed) {
    while (!(v >= -(1n << BigInt(8 * len - 1)) && v < 1n << BigInt(8 * len - 1))) len++;
    return bigToBytes(v < 0n ? (1n << BigInt(8 * len)) + v : v, len);
  }
  while (v >= 1n << BigInt(8 * len)) len++;
  return bigToBytes(v, len);
}
function bytesToInt(b: Uint8Array, signed: boolean): bigint {
  if (b.length === 0) return 0n;
  const u = bytesToBig(b);
  if (signed && (b[0]! & 0x80) !== 0) return u - (1n << BigInt(8 * b.length));
  return u;
}

function bitwiseBytes(a: Uint8Array, b: Uint8Array, op: "and" | "or" | "xor"): Uint8Array {
  const len = op === "and" ? Math.min(a.length, b.length) : Math.max(a.length, b.length);
  const out = new Uint8Array(len);
  for (let i = 1; i <= len; i++) {
    const x = a[a.length - i] ?? 0;
    const y = b[b.length - i] ?? 0;
    out[len - i] = op === "and" ? x & y : op === "or" ? x | y : x ^ y;
  }
  return out;
}

function pathCheckComb(t: Ty, n: number, what: string, path: string): void {
  if (t.prim !== "pair") throw err(`${what}: expected a pair of at least ${n} elements`, path);
}

/** Type of `GET n` on a right comb. */
function combGetType(t: Ty, n: number, path: string): Ty {
  let cur = t;
  let k = n;
  while (k >= 2) {
    pathCheckComb(cur, k, "GET", path);
    cur = cur.args[1]!;
    k -= 2;
  }
  if (k === 1) {
    pathCheckComb(cur, 1, "GET", path);
    return cur.args[0]!;
  }
  return cur;
}
/** Type of a comb after `UPDATE n` with a value of type `v`. */
function combUpdateType(t: Ty, n: number, v: Ty, path: string): Ty {
  if (n === 0) return v;
  pathCheckComb(t, n, "UPDATE", path);
  if (n === 1) return tPair(v, t.args[1]!);
  return tPair(t.args[0]!, combUpdateType(t.args[1]!, n - 2, v, path));
}
function combGet(v: V, n: number): V {
  let cur = v;
  let k = n;
  while (k >= 2) {
    cur = (cur as readonly [V, V])[1];
    k -= 2;
  }
  return k === 1 ? (cur as readonly [V, V])[0] : cur;
}
function combUpdate(c: V, n: number, v: V): V {
  if (n === 0) return v;
  const p = c as readonly [V, V];
  if (n === 1) return [v, p[1]] as const;
  return [p[0], combUpdate(p[1], n - 2, v)] as const;
}

function newOp(rt: Runtime, op: InternalOperation): OperationV {
  rt.opCounter++;
  return { op };
}

function optionKeyHash(v: V): string | null {
  const o = v as OptionV;
  return o === null ? null : keyHashFromBytes(o.some as Uint8Array);
}

// ---------------------------------------------------------------- the instructions

/** Typechecks and compiles one instruction (or a nested sequence). */
function compileInstr(m: Micheline, st: Stack, tc: TcContext, path: string): Compiled {
  if (isSeq(m)) return compileSeq(m, st, tc, path);
  if (!isPrim(m)) throw err(`expected an instruction, got ${describe(m)}`, path);
  const loc = tc.locations?.get(m) ?? -1;
  const S = (n: number): void => need(st, n, m, path);
  const out = (n: number, ...push: Ty[]): Stack => [...rest(st, n), ...push];
  const A = m.args ?? [];

  switch (m.prim) {
    // ---------------------------------------------------------------- stack
    case "DROP": {
      const n = A.length === 0 ? 1 : intArg(m, path, 0);
      S(n);
      return { f: (s) => void (s.length -= n), out: rest(st, n) };
    }
    case "DUP": {
      const n = A.length === 0 ? 1 : intArg(m, path, 1);
      S(n);
      const t = top(st, n - 1);
      if (!isDuplicable(t)) throw err(`DUP of non-duplicable type ${showType(t)}`, path);
      return { f: (s) => void s.push(s[s.length - n]!), out: [...st, t] };
    }
    case "SWAP": {
      arity(m, 0, path);
      S(2);
      return {
        f: (s) => {
          const l = s.length;
          const a = s[l - 1]!;
          s[l - 1] = s[l - 2]!;
          s[l - 2] = a;
        },
        out: [...rest(st, 2), top(st), top(st, 1)],
      };
    }
    case "DIG": {
      const n = intArg(m, path, 0);
      S(n + 1);
      const o = st.slice();
      const [t] = o.splice(o.length - 1 - n, 1);
      o.push(t!);
      return { f: (s) => void s.push(s.splice(s.length - 1 - n, 1)[0]!), out: o };
    }
    case "DUG": {
      const n = intArg(m, path, 0);
      S(n + 1);
      const o = st.slice();
      const t = o.pop()!;
      o.splice(o.length - n, 0, t);
      return {
        f: (s) => {
          const v = s.pop()!;
          s.splice(s.length - n, 0, v);
        },
        out: o,
      };
    }
    case "DIP": {
      let n = 1;
      let code: Micheline;
      if (A.length === 2) {
        n = intArg(m, path, 0);
        code = A[1]!;
      } else {
        code = arity(m, 1, path)[0]!;
      }
      S(n);
      const protectedTys = st.slice(st.length - n);
      const body = compileSeq(code, rest(st, n), tc, `${path}.body`);
      return {
        f: (s, rt) => {
          const saved = s.splice(s.length - n, n);
          body.f(s, rt);
          for (const v of saved) s.push(v);
        },
        out: body.out === null ? null : [...body.out, ...protectedTys],
      };
    }
    case "PUSH": {
      const [tm, dm] = arity(m, 2, path);
      const t = parseType(tm!, `${path}.type`);
      if (!isPushable(t)) throw err(`PUSH of non-pushable type ${showType(t)}`, path);
      const v = parseData(t, dm!, { ...tc, selfType: undefined }, `${path}.value`);
      return { f: (s) => void s.push(v), out: [...st, t] };
    }
    case "UNIT":
      arity(m, 0, path);
      return { f: (s) => void s.push(UNIT), out: [...st, T_UNIT] };
    case "NEVER":
      S(1);
      if (top(st).prim !== "never") throw badTypes(m, st, 1, path);
      return {
        f: () => {
          throw new MichelsonRuntimeError("unsupported", "NEVER reached", loc);
        },
        out: null,
      };
    case "FAILWITH": {
      arity(m, 0, path);
      S(1);
      const t = top(st);
      if (!isPackable(t)) throw err(`FAILWITH of non-packable type ${showType(t)}`, path);
      return {
        f: (s) => {
          const v = s[s.length - 1]!;
          throw new MichelsonRuntimeError(
            "failwith",
            "script failed (FAILWITH)",
            loc,
            unparseData(t, v, "optimized"),
          );
        },
        out: null,
      };
    }
    case "CAST": {
      const t = parseType(arity(m, 1, path)[0]!, `${path}.type`);
      S(1);
      if (!tyEq(t, top(st))) throw err(`CAST to ${showType(t)} of ${showType(top(st))}`, path);
      return { f: () => {}, out: out(1, t) };
    }
    case "RENAME":
      S(1);
      return { f: () => {}, out: st };

    // ---------------------------------------------------------------- options, ors, pairs
    case "SOME":
      S(1);
      return { f: (s) => void (s[s.length - 1] = { some: s[s.length - 1]! }), out: out(1, tOption(top(st))) };
    case "NONE": {
      const t = parseType(arity(m, 1, path)[0]!, `${path}.type`);
      return { f: (s) => void s.push(null), out: [...st, tOption(t)] };
    }
    case "LEFT":
    case "RIGHT": {
      const t = parseType(arity(m, 1, path)[0]!, `${path}.type`);
      S(1);
      const left = m.prim === "LEFT";
      return {
        f: (s) => void (s[s.length - 1] = { left, v: s[s.length - 1]! } satisfies OrV),
        out: out(1, left ? tOr(top(st), t) : tOr(t, top(st))),
      };
    }
    case "PAIR": {
      const n = A.length === 0 ? 1 : intArg(m, path, 2);
      const k = A.length === 0 ? 2 : n;
      S(k);
      let t = top(st, k - 1);
      for (let i = k - 2; i >= 0; i--) t = tPair(top(st, i), t);
      return {
        f: (s) => {
          let v = s.pop()!;
          // The first popped element is the leftmost one; build the comb from the deepest.
          const items: V[] = [v];
          for (let i = 1; i < k; i++) items.push(s.pop()!);
          v = items[k - 1]!;
          for (let i = k - 2; i >= 0; i--) v = [items[i]!, v] as const;
          s.push(v);
        },
        out: out(k, t),
      };
    }
    case "UNPAIR": {
      const k = A.length === 0 ? 2 : intArg(m, path, 2);
      S(1);
      const parts: Ty[] = [];
      let t = top(st);
      for (let i = 0; i < k - 1; i++) {
        if (t.prim !== "pair") throw badTypes(m, st, 1, path);
        parts.push(t.args[0]!);
        t = t.args[1]!;
      }
      parts.push(t);
      return {
        f: (s) => {
          let v: V = s.pop()!;
          const items: V[] = [];
          for (let i = 0; i < k - 1; i++) {
            const p = v as readonly [V, V];
            items.push(p[0]);
            v = p[1];
          }
          items.push(v);
          for (let i = k - 1; i >= 0; i--) s.push(items[i]!);
        },
        out: [...rest(st, 1), ...parts.reverse()],
      };
    }
    case "CAR":
    case "CDR": {
      arity(m, 0, path);
      S(1);
      if (top(st).prim !== "pair") throw badTypes(m, st, 1, path);
      const i = m.prim === "CAR" ? 0 : 1;
      return {
        f: (s) => void (s[s.length - 1] = (s[s.length - 1] as readonly [V, V])[i]),
        out: out(1, top(st).args[i]!),
      };
    }

    // ---------------------------------------------------------------- control
    case "IF": {
      const [a, b] = arity(m, 2, path);
      S(1);
      if (top(st).prim !== "bool") throw badTypes(m, st, 1, path);
      const r = rest(st, 1);
      const bt = compileSeq(a!, r, tc, `${path}.then`);
      const bf = compileSeq(b!, r, tc, `${path}.else`);
      return {
        f: (s, rt) => (s.pop() ? bt.f(s, rt) : bf.f(s, rt)),
        out: merge(bt.out, bf.out, path),
      };
    }
    case "IF_NONE": {
      const [a, b] = arity(m, 2, path);
      S(1);
      if (top(st).prim !== "option") throw badTypes(m, st, 1, path);
      const r = rest(st, 1);
      const bn = compileSeq(a!, r, tc, `${path}.none`);
      const bs = compileSeq(b!, [...r, top(st).args[0]!], tc, `${path}.some`);
      return {
        f: (s, rt) => {
          const o = s.pop() as OptionV;
          if (o === null) bn.f(s, rt);
          else {
            s.push(o.some);
            bs.f(s, rt);
          }
        },
        out: merge(bn.out, bs.out, path),
      };
    }
    case "IF_LEFT": {
      const [a, b] = arity(m, 2, path);
      S(1);
      if (top(st).prim !== "or") throw badTypes(m, st, 1, path);
      const r = rest(st, 1);
      const bl = compileSeq(a!, [...r, top(st).args[0]!], tc, `${path}.left`);
      const br = compileSeq(b!, [...r, top(st).args[1]!], tc, `${path}.right`);
      return {
        f: (s, rt) => {
          const o = s[s.length - 1] as OrV;
          s[s.length - 1] = o.v;
          if (o.left) bl.f(s, rt);
          else br.f(s, rt);
        },
        out: merge(bl.out, br.out, path),
      };
    }
    case "IF_CONS": {
      const [a, b] = arity(m, 2, path);
      S(1);
      if (top(st).prim !== "list") throw badTypes(m, st, 1, path);
      const r = rest(st, 1);
      const bc = compileSeq(a!, [...r, top(st), top(st).args[0]!], tc, `${path}.cons`);
      const bn = compileSeq(b!, r, tc, `${path}.nil`);
      return {
        f: (s, rt) => {
          const l = s.pop() as readonly V[];
          if (l.length === 0) bn.f(s, rt);
          else {
            s.push(l.slice(1), l[0]!);
            bc.f(s, rt);
          }
        },
        out: merge(bc.out, bn.out, path),
      };
    }
    case "LOOP": {
      const [a] = arity(m, 1, path);
      S(1);
      if (top(st).prim !== "bool") throw badTypes(m, st, 1, path);
      const body = compileSeq(a!, rest(st, 1), tc, `${path}.body`);
      if (body.out !== null && (body.out.length !== st.length || !merge(body.out, st, path))) {
        throw err(`LOOP body must return ${showStack(st)}`, path);
      }
      return {
        f: (s, rt) => {
          while (s.pop()) {
            charge(rt, 1);
            body.f(s, rt);
          }
        },
        out: rest(st, 1),
      };
    }
    case "LOOP_LEFT": {
      const [a] = arity(m, 1, path);
      S(1);
      const t = top(st);
      if (t.prim !== "or") throw badTypes(m, st, 1, path);
      const body = compileSeq(a!, [...rest(st, 1), t.args[0]!], tc, `${path}.body`);
      if (body.out !== null) merge(body.out, st, path);
      return {
        f: (s, rt) => {
          for (;;) {
            const o = s[s.length - 1] as OrV;
            s[s.length - 1] = o.v;
            if (!o.left) return;
            charge(rt, 1);
            body.f(s, rt);
          }
        },
        out: [...rest(st, 1), t.args[1]!],
      };
    }
    case "ITER": {
      const [a] = arity(m, 1, path);
      S(1);
      const t = top(st);
      const r = rest(st, 1);
      let elt: Ty;
      if (t.prim === "list" || t.prim === "set") elt = t.args[0]!;
      else if (t.prim === "map") elt = tPair(t.args[0]!, t.args[1]!);
      else throw badTypes(m, st, 1, path);
      const body = compileSeq(a!, [...r, elt], tc, `${path}.body`);
      if (body.out !== null) merge(body.out, r, path);
      const isMap = t.prim === "map";
      return {
        f: (s, rt) => {
          const c = s.pop()!;
          const items: readonly V[] = isMap
            ? (c as MapV).entries.map(([k, v]) => [k, v] as const)
            : (c as readonly V[]);
          for (const x of items) {
            s.push(x);
            body.f(s, rt);
          }
        },
        out: r,
      };
    }
    case "MAP": {
      const [a] = arity(m, 1, path);
      S(1);
      const t = top(st);
      const r = rest(st, 1);
      let elt: Ty;
      if (t.prim === "list") elt = t.args[0]!;
      else if (t.prim === "map") elt = tPair(t.args[0]!, t.args[1]!);
      else throw badTypes(m, st, 1, path);
      const body = compileSeq(a!, [...r, elt], tc, `${path}.body`);
      if (body.out === null) throw err("MAP body must not always fail", path);
      if (body.out.length !== r.length + 1) throw err(`MAP body must return ${showStack([...r, elt])}`, path);
      merge(body.out.slice(0, r.length), r, path);
      const res = body.out[body.out.length - 1]!;
      const isMap = t.prim === "map";
      return {
        f: (s, rt) => {
          const c = s.pop()!;
          if (isMap) {
            const entries = (c as MapV).entries.map(([k, v]) => {
              s.push([k, v] as const);
              body.f(s, rt);
              return [k, s.pop()!] as const;
            });
            s.push({ entries, id: null } satisfies MapV);
          } else {
            const items = (c as readonly V[]).map((x) => {
              s.push(x);
              body.f(s, rt);
              return s.pop()!;
            });
            s.push(items);
          }
        },
        out: [...r, isMap ? tMap(t.args[0]!, res) : tList(res)],
      };
    }
    case "LAMBDA":
    case "LAMBDA_REC": {
      const [ta, tb, code] = arity(m, 3, path);
      const arg = parseType(ta!, `${path}.arg`);
      const ret = parseType(tb!, `${path}.ret`);
      const rec = m.prim === "LAMBDA_REC";
      const compiled = compileLambdaValue(arg, ret, code!, rec, tc, `${path}.body`);
      const v: LambdaV = { code: code!, compiled, rec };
      return { f: (s) => void s.push(v), out: [...st, tLambda(arg, ret)] };
    }
    case "EXEC": {
      arity(m, 0, path);
      S(2);
      const [a, l] = [top(st), top(st, 1)];
      if (l.prim !== "lambda" || !tyEq(l.args[0]!, a)) throw badTypes(m, st, 2, path);
      return {
        f: (s, rt) => {
          const arg = s.pop()!;
          const lam = s.pop() as LambdaV;
          s.push(runLambda(lam, arg, rt));
        },
        out: out(2, l.args[1]!),
      };
    }
    case "APPLY": {
      arity(m, 0, path);
      S(2);
      const [a, l] = [top(st), top(st, 1)];
      if (l.prim !== "lambda" || l.args[0]!.prim !== "pair" || !tyEq(l.args[0]!.args[0]!, a)) {
        throw badTypes(m, st, 2, path);
      }
      if (!isPushable(a)) throw err(`APPLY cannot capture a value of type ${showType(a)}`, path);
      const b = l.args[0]!.args[1]!;
      const c = l.args[1]!;
      const newTy = tLambda(b, c);
      return {
        f: (s) => {
          const x = s.pop()!;
          const lam = s.pop() as LambdaV;
          // The partial application is the lambda `{ PUSH a x ; PAIR ; <code> }`.
          const pushed = unparseData(a, x, "optimized");
          const code: Micheline = [
            { prim: "PUSH", args: [typeToMicheline(a), pushed] },
            { prim: "PAIR" },
            lam.rec
              ? { prim: "LAMBDA_REC", args: [typeToMicheline(l.args[0]!), typeToMicheline(c), lam.code] }
              : lam.code,
            ...(lam.rec ? [{ prim: "SWAP" }, { prim: "EXEC" }] : []),
          ];
          const body: Instr = (st2, rt) => {
            st2.push([x, st2.pop()!] as const);
            st2.push(runLambda(lam, st2.pop()!, rt));
          };
          s.push({ code, compiled: { arg: b, ret: c, body }, rec: false } satisfies LambdaV);
        },
        out: out(2, newTy),
      };
    }

    // ---------------------------------------------------------------- collections
    case "NIL": {
      const t = parseType(arity(m, 1, path)[0]!, `${path}.type`);
      return { f: (s) => void s.push([]), out: [...st, tList(t)] };
    }
    case "CONS": {
      S(2);
      const [a, l] = [top(st), top(st, 1)];
      if (l.prim !== "list" || !tyEq(l.args[0]!, a)) throw badTypes(m, st, 2, path);
      return {
        f: (s, rt) => {
          const x = s.pop()!;
          const xs = s.pop() as readonly V[];
          // Lists are immutable arrays, so CONS copies: charge for it to bound run time.
          charge(rt, xs.length >> 4);
          s.push([x, ...xs]);
        },
        out: out(2, l),
      };
    }
    case "EMPTY_SET": {
      const t = parseType(arity(m, 1, path)[0]!, `${path}.type`);
      if (!isComparable(t)) throw err(`set elements must be comparable: ${showType(t)}`, path);
      return { f: (s) => void s.push([]), out: [...st, tSet(t)] };
    }
    case "EMPTY_MAP":
    case "EMPTY_BIG_MAP": {
      const [k, v] = arity(m, 2, path);
      const tm = parseType(
        { prim: m.prim === "EMPTY_MAP" ? "map" : "big_map", args: [k!, v!] },
        `${path}.type`,
      );
      return { f: (s) => void s.push({ entries: [], id: null } satisfies MapV), out: [...st, tm] };
    }
    case "MEM": {
      arity(m, 0, path);
      S(2);
      const [k, c] = [top(st), top(st, 1)];
      const isSet = c.prim === "set";
      if (!((isSet || c.prim === "map" || c.prim === "big_map") && tyEq(c.args[0]!, k)))
        throw badTypes(m, st, 2, path);
      return {
        f: (s) => {
          const key = s.pop()!;
          const coll = s.pop()!;
          const i = isSet
            ? binarySearch(k, coll as readonly V[], key, (e) => e)
            : binarySearch(k, (coll as MapV).entries, key, (e) => e[0]);
          s.push(i >= 0);
        },
        out: out(2, T_BOOL),
      };
    }
    case "GET": {
      if (A.length === 1) {
        const n = intArg(m, path, 0);
        S(1);
        const t = combGetType(top(st), n, path);
        return { f: (s) => void (s[s.length - 1] = combGet(s[s.length - 1]!, n)), out: out(1, t) };
      }
      arity(m, 0, path);
      S(2);
      const [k, c] = [top(st), top(st, 1)];
      if (!((c.prim === "map" || c.prim === "big_map") && tyEq(c.args[0]!, k)))
        throw badTypes(m, st, 2, path);
      return {
        f: (s) => {
          const key = s.pop()!;
          const mv = s.pop() as MapV;
          const i = binarySearch(k, mv.entries, key, (e) => e[0]);
          s.push(i >= 0 ? { some: mv.entries[i]![1] } : null);
        },
        out: out(2, tOption(c.args[1]!)),
      };
    }
    case "UPDATE": {
      if (A.length === 1) {
        const n = intArg(m, path, 0);
        S(2);
        const t = combUpdateType(top(st, 1), n, top(st), path);
        return {
          f: (s) => {
            const v = s.pop()!;
            s[s.length - 1] = combUpdate(s[s.length - 1]!, n, v);
          },
          out: out(2, t),
        };
      }
      arity(m, 0, path);
      S(3);
      const [k, v, c] = [top(st), top(st, 1), top(st, 2)];
      if (c.prim === "set") {
        if (!tyEq(c.args[0]!, k) || v.prim !== "bool") throw badTypes(m, st, 3, path);
        return {
          f: (s, rt) => {
            const key = s.pop()!;
            const add = s.pop() as boolean;
            const set = s.pop() as readonly V[];
            charge(rt, set.length >> 4);
            const i = binarySearch(k, set, key, (e) => e);
            if (i >= 0 === add) s.push(set);
            else if (add) s.push([...set.slice(0, -i - 1), key, ...set.slice(-i - 1)]);
            else s.push([...set.slice(0, i), ...set.slice(i + 1)]);
          },
          out: out(3, c),
        };
      }
      if (
        (c.prim === "map" || c.prim === "big_map") &&
        tyEq(c.args[0]!, k) &&
        v.prim === "option" &&
        tyEq(v.args[0]!, c.args[1]!)
      ) {
        return {
          f: (s, rt) => {
            const key = s.pop()!;
            const val = s.pop() as OptionV;
            const mv = s.pop() as MapV;
            charge(rt, mv.entries.length >> 4);
            s.push(mapUpdate(k, mv, key, val));
          },
          out: out(3, c),
        };
      }
      throw badTypes(m, st, 3, path);
    }
    case "GET_AND_UPDATE": {
      arity(m, 0, path);
      S(3);
      const [k, v, c] = [top(st), top(st, 1), top(st, 2)];
      if (
        !(
          (c.prim === "map" || c.prim === "big_map") &&
          tyEq(c.args[0]!, k) &&
          v.prim === "option" &&
          tyEq(v.args[0]!, c.args[1]!)
        )
      ) {
        throw badTypes(m, st, 3, path);
      }
      return {
        f: (s, rt) => {
          const key = s.pop()!;
          const val = s.pop() as OptionV;
          const mv = s.pop() as MapV;
          charge(rt, mv.entries.length >> 4);
          const i = binarySearch(k, mv.entries, key, (e) => e[0]);
          s.push(mapUpdate(k, mv, key, val));
          s.push(i >= 0 ? { some: mv.entries[i]![1] } : null);
        },
        out: [...rest(st, 3), c, v],
      };
    }
    case "SIZE": {
      arity(m, 0, path);
      S(1);
      const t = top(st).prim;
      let f: Instr;
      if (t === "string") f = (s) => void (s[s.length - 1] = BigInt((s[s.length - 1] as string).length));
      else if (t === "bytes" || t === "list" || t === "set") {
        f = (s) => void (s[s.length - 1] = BigInt((s[s.length - 1] as readonly V[]).length));
      } else if (t === "map")
        f = (s) => void (s[s.length - 1] = BigInt((s[s.length - 1] as MapV).entries.length));
      else throw badTypes(m, st, 1, path);
      return { f, out: out(1, T_NAT) };
    }
    case "CONCAT": {
      arity(m, 0, path);
      S(1);
      const a = top(st);
      if (a.prim === "list" && (a.args[0]!.prim === "string" || a.args[0]!.prim === "bytes")) {
        const isStr = a.args[0]!.prim === "string";
        return {
          f: (s, rt) => {
            const l = s.pop() as readonly V[];
            charge(rt, l.length);
            s.push(isStr ? (l as string[]).join("") : concat(...(l as Uint8Array[])));
          },
          out: out(1, a.args[0]!),
        };
      }
      S(2);
      const b = top(st, 1);
      if (a.prim === "string" && b.prim === "string") {
        return {
          f: (s, rt) => {
            const x = s.pop() as string;
            const y = s.pop() as string;
            // Charged by size so that repeated doubling runs out of gas, not out of memory.
            charge(rt, (x.length + y.length) >> 4);
            s.push(x + y);
          },
          out: out(2, T_STRING),
        };
      }
      if (a.prim === "bytes" && b.prim === "bytes") {
        return {
          f: (s, rt) => {
            const x = s.pop() as Uint8Array;
            const y = s.pop() as Uint8Array;
            charge(rt, (x.length + y.length) >> 4);
            s.push(concat(x, y));
          },
          out: out(2, T_BYTES),
        };
      }
      throw badTypes(m, st, 2, path);
    }
    case "SLICE": {
      arity(m, 0, path);
      S(3);
      const [o, l, x] = [top(st), top(st, 1), top(st, 2)];
      if (o.prim !== "nat" || l.prim !== "nat" || (x.prim !== "string" && x.prim !== "bytes"))
        throw badTypes(m, st, 3, path);
      return {
        f: (s) => {
          const off = s.pop() as bigint;
          const len = s.pop() as bigint;
          const v = s.pop() as string | Uint8Array;
          const size = BigInt(v.length);
          if (off + len > size) s.push(null);
          else s.push({ some: v.slice(Number(off), Number(off + len)) });
        },
        out: out(3, tOption(x)),
      };
    }

    // ---------------------------------------------------------------- arithmetic
    case "ADD":
    case "SUB":
    case "MUL":
    case "EDIV": {
      arity(m, 0, path);
      S(2);
      const bls = blsArith(m, st, path);
      return bls ?? arith(m, st, loc, path);
    }
    case "PAIRING_CHECK": {
      S(1);
      const t = top(st);
      const e = t.args[0];
      if (
        t.prim !== "list" ||
        e?.prim !== "pair" ||
        e.args[0]!.prim !== "bls12_381_g1" ||
        e.args[1]!.prim !== "bls12_381_g2"
      ) {
        throw badTypes(m, st, 1, path);
      }
      return {
        f: (s, rt) => {
          const l = s[s.length - 1] as readonly (readonly [BlsPointV, BlsPointV])[];
          charge(rt, 500 * l.length);
          s[s.length - 1] = pairingCheck(l);
        },
        out: out(1, T_BOOL),
      };
    }
    case "SUB_MUTEZ": {
      S(2);
      if (top(st).prim !== "mutez" || top(st, 1).prim !== "mutez") throw badTypes(m, st, 2, path);
      return {
        f: (s) => {
          const a = s.pop() as bigint;
          const b = s.pop() as bigint;
          s.push(a >= b ? { some: a - b } : null);
        },
        out: out(2, tOption(T_MUTEZ)),
      };
    }
    case "ABS": {
      S(1);
      if (top(st).prim !== "int") throw badTypes(m, st, 1, path);
      return {
        f: (s) => {
          const a = s[s.length - 1] as bigint;
          s[s.length - 1] = a < 0n ? -a : a;
        },
        out: out(1, T_NAT),
      };
    }
    case "ISNAT": {
      S(1);
      if (top(st).prim !== "int") throw badTypes(m, st, 1, path);
      return {
        f: (s) => {
          const a = s[s.length - 1] as bigint;
          s[s.length - 1] = a >= 0n ? { some: a } : null;
        },
        out: out(1, tOption(T_NAT)),
      };
    }
    case "INT": {
      S(1);
      const t = top(st).prim;
      if (t === "nat" || t === "bls12_381_fr") return { f: () => {}, out: out(1, T_INT) };
      if (t === "bytes") {
        return {
          f: (s) => void (s[s.length - 1] = bytesToInt(s[s.length - 1] as Uint8Array, true)),
          out: out(1, T_INT),
        };
      }
      throw badTypes(m, st, 1, path);
    }
    case "NAT": {
      S(1);
      if (top(st).prim !== "bytes") throw badTypes(m, st, 1, path);
      return {
        f: (s) => void (s[s.length - 1] = bytesToInt(s[s.length - 1] as Uint8Array, false)),
        out: out(1, T_NAT),
      };
    }
    case "BYTES": {
      S(1);
      const t = top(st).prim;
      if (t !== "int" && t !== "nat") throw badTypes(m, st, 1, path);
      const signed = t === "int";
      return {
        f: (s) => void (s[s.length - 1] = intToBytes(s[s.length - 1] as bigint, signed)),
        out: out(1, T_BYTES),
      };
    }
    case "NEG": {
      S(1);
      const t = top(st).prim;
      if (t === "bls12_381_fr")
        return { f: (s) => void (s[s.length - 1] = frOfInt(-(s[s.length - 1] as bigint))), out: st };
      if (t === "bls12_381_g1" || t === "bls12_381_g2") {
        return { f: (s) => void (s[s.length - 1] = pointNeg(s[s.length - 1] as BlsPointV)), out: st };
      }
      if (t !== "int" && t !== "nat") throw badTypes(m, st, 1, path);
      return { f: (s) => void (s[s.length - 1] = -(s[s.length - 1] as bigint)), out: out(1, T_INT) };
    }
    case "LSL":
    case "LSR": {
      S(2);
      const [a, b] = [top(st), top(st, 1)];
      if (b.prim !== "nat" || (a.prim !== "nat" && a.prim !== "bytes")) throw badTypes(m, st, 2, path);
      const left = m.prim === "LSL";
      if (a.prim === "nat") {
        return {
          f: (s) => {
            const x = s.pop() as bigint;
            const n = s.pop() as bigint;
            if (n > 256n) throw overflow(loc, `unexpected arithmetic overflow (${m.prim} by ${n} > 256)`);
            s.push(left ? x << n : x >> n);
          },
          out: out(2, T_NAT),
        };
      }
      return {
        f: (s, rt) => {
          const x = s.pop() as Uint8Array;
          const n = s.pop() as bigint;
          if (left) {
            if (n > 64000n) throw overflow(loc, `unexpected arithmetic overflow (LSL by ${n} > 64000)`);
            const len = x.length + Math.ceil(Number(n) / 8);
            charge(rt, len >> 3);
            s.push(bigToBytes(bytesToBig(x) << n, len));
          } else {
            const len = Math.max(0, x.length - Math.floor(Number(n > 1000000n ? 1000000n : n) / 8));
            s.push(bigToBytes(bytesToBig(x) >> n, len));
          }
        },
        out: out(2, T_BYTES),
      };
    }
    case "OR":
    case "AND":
    case "XOR": {
      S(2);
      const [a, b] = [top(st), top(st, 1)];
      const op = m.prim.toLowerCase() as "or" | "and" | "xor";
      if (a.prim === "bool" && b.prim === "bool") {
        return {
          f: (s) => {
            const x = s.pop() as boolean;
            const y = s.pop() as boolean;
            s.push(op === "or" ? x || y : op === "and" ? x && y : x !== y);
          },
          out: out(2, T_BOOL),
        };
      }
      if ((a.prim === "nat" && b.prim === "nat") || (op === "and" && a.prim === "int" && b.prim === "nat")) {
        return {
          f: (s) => {
            const x = s.pop() as bigint;
            const y = s.pop() as bigint;
            s.push(op === "or" ? x | y : op === "and" ? x & y : x ^ y);
          },
          out: out(2, T_NAT),
        };
      }
      if (a.prim === "bytes" && b.prim === "bytes") {
        return {
          f: (s) => {
            const x = s.pop() as Uint8Array;
            s.push(bitwiseBytes(x, s.pop() as Uint8Array, op));
          },
          out: out(2, T_BYTES),
        };
      }
      throw badTypes(m, st, 2, path);
    }
    case "NOT": {
      S(1);
      const t = top(st).prim;
      if (t === "bool") return { f: (s) => void (s[s.length - 1] = !s[s.length - 1]), out: out(1, T_BOOL) };
      if (t === "int" || t === "nat") {
        return { f: (s) => void (s[s.length - 1] = -(s[s.length - 1] as bigint) - 1n), out: out(1, T_INT) };
      }
      if (t === "bytes") {
        return {
          f: (s) => void (s[s.length - 1] = (s[s.length - 1] as Uint8Array).map((x) => ~x & 0xff)),
          out: out(1, T_BYTES),
        };
      }
      throw badTypes(m, st, 1, path);
    }
    case "COMPARE": {
      arity(m, 0, path);
      S(2);
      const [a, b] = [top(st), top(st, 1)];
      if (!isComparable(a) || !tyEq(a, b)) throw badTypes(m, st, 2, path);
      return {
        f: (s) => {
          const x = s.pop()!;
          const y = s.pop()!;
          s.push(BigInt(compareValues(a, x, y)));
        },
        out: out(2, T_INT),
      };
    }
    case "EQ":
    case "NEQ":
    case "LT":
    case "GT":
    case "LE":
    case "GE": {
      S(1);
      if (top(st).prim !== "int") throw badTypes(m, st, 1, path);
      const test: (x: bigint) => boolean = {
        EQ: (x: bigint) => x === 0n,
        NEQ: (x: bigint) => x !== 0n,
        LT: (x: bigint) => x < 0n,
        GT: (x: bigint) => x > 0n,
        LE: (x: bigint) => x <= 0n,
        GE: (x: bigint) => x >= 0n,
      }[m.prim];
      return { f: (s) => void (s[s.length - 1] = test(s[s.length - 1] as bigint)), out: out(1, T_BOOL) };
    }

    // ---------------------------------------------------------------- serialization and crypto
    case "PACK": {
      S(1);
      const t = top(st);
      if (!isPackable(t)) throw err(`PACK of non-packable type ${showType(t)}`, path);
      return {
        f: (s, rt) => {
          const b = packValue(t, s[s.length - 1]!);
          charge(rt, b.length >> 3);
          s[s.length - 1] = b;
        },
        out: out(1, T_BYTES),
      };
    }
    case "UNPACK": {
      const t = parseType(arity(m, 1, path)[0]!, `${path}.type`);
      S(1);
      if (top(st).prim !== "bytes") throw badTypes(m, st, 1, path);
      if (!isPackable(t)) throw err(`UNPACK of non-packable type ${showType(t)}`, path);
      return {
        f: (s, rt) => {
          const b = s[s.length - 1] as Uint8Array;
          charge(rt, b.length >> 3);
          const v = unpackValue(t, b, rt.tc);
          s[s.length - 1] = v === undefined ? null : { some: v };
        },
        out: out(1, tOption(t)),
      };
    }
    case "BLAKE2B":
    case "SHA256":
    case "SHA512":
    case "KECCAK":
    case "SHA3": {
      S(1);
      if (top(st).prim !== "bytes") throw badTypes(m, st, 1, path);
      const h = {
        BLAKE2B: hashBlake2b,
        SHA256: hashSha256,
        SHA512: hashSha512,
        KECCAK: hashKeccak,
        SHA3: hashSha3,
      }[m.prim];
      return {
        f: (s, rt) => {
          const b = s[s.length - 1] as Uint8Array;
          charge(rt, b.length >> 3);
          s[s.length - 1] = h(b);
        },
        out: out(1, T_BYTES),
      };
    }
    case "HASH_KEY": {
      S(1);
      if (top(st).prim !== "key") throw badTypes(m, st, 1, path);
      return {
        f: (s) => void (s[s.length - 1] = keyHashBytesOfPublicKey(s[s.length - 1] as Uint8Array)),
        out: out(1, T_KEY_HASH),
      };
    }
    case "CHECK_SIGNATURE": {
      S(3);
      if (top(st).prim !== "key" || top(st, 1).prim !== "signature" || top(st, 2).prim !== "bytes") {
        throw badTypes(m, st, 3, path);
      }
      return {
        f: (s, rt) => {
          const k = s.pop() as Uint8Array;
          const sig = s.pop() as Uint8Array;
          const msg = s.pop() as Uint8Array;
          charge(rt, 100 + (msg.length >> 3));
          s.push(checkSignature(k, sig, msg));
        },
        out: out(3, T_BOOL),
      };
    }

    // ---------------------------------------------------------------- blockchain context
    case "SENDER":
    case "SOURCE":
    case "SELF_ADDRESS": {
      arity(m, 0, path);
      const key = m.prim === "SENDER" ? "sender" : m.prim === "SOURCE" ? "source" : "self";
      return { f: (s, rt) => void s.push(rt[key]), out: [...st, T_ADDRESS] };
    }
    case "AMOUNT":
    case "BALANCE": {
      arity(m, 0, path);
      const key = m.prim === "AMOUNT" ? "amount" : "balance";
      return { f: (s, rt) => void s.push(rt.ctx[key]), out: [...st, T_MUTEZ] };
    }
    case "NOW":
      arity(m, 0, path);
      return { f: (s, rt) => void s.push(rt.ctx.now), out: [...st, T_TIMESTAMP] };
    case "LEVEL":
      arity(m, 0, path);
      return { f: (s, rt) => void s.push(rt.ctx.level), out: [...st, T_NAT] };
    case "MIN_BLOCK_TIME":
      arity(m, 0, path);
      return { f: (s, rt) => void s.push(rt.ctx.minBlockTime ?? 1n), out: [...st, T_NAT] };
    case "TOTAL_VOTING_POWER":
      arity(m, 0, path);
      return { f: (s, rt) => void s.push(rt.ctx.totalVotingPower ?? 0n), out: [...st, T_NAT] };
    case "VOTING_POWER": {
      S(1);
      if (top(st).prim !== "key_hash") throw badTypes(m, st, 1, path);
      return {
        f: (s, rt) => {
          const kh = keyHashFromBytes(s[s.length - 1] as Uint8Array);
          s[s.length - 1] = rt.ctx.votingPower?.(kh) ?? 0n;
        },
        out: out(1, T_NAT),
      };
    }
    case "CHAIN_ID":
      arity(m, 0, path);
      return { f: (s, rt) => void s.push(rt.chainIdBytes), out: [...st, T_CHAIN_ID] };
    case "SELF": {
      arity(m, 0, path);
      if (tc.selfType === undefined) throw err("SELF is not allowed inside a lambda", path);
      const ep = entrypointAnnot(m, path);
      const found = resolveEntrypointTy(tc.selfType, ep);
      if (found === null) throw err(`SELF: no entrypoint %${ep || "default"}`, path);
      const t = found.type;
      return {
        f: (s, rt) => void s.push({ addr: { raw: rt.self.raw, entrypoint: ep }, ty: t } satisfies ContractV),
        out: [...st, tContract(t)],
      };
    }
    case "ADDRESS": {
      S(1);
      if (top(st).prim !== "contract") throw badTypes(m, st, 1, path);
      return {
        f: (s) => void (s[s.length - 1] = (s[s.length - 1] as ContractV).addr),
        out: out(1, T_ADDRESS),
      };
    }
    case "IMPLICIT_ACCOUNT": {
      S(1);
      if (top(st).prim !== "key_hash") throw badTypes(m, st, 1, path);
      return {
        f: (s) => {
          const kh = s[s.length - 1] as Uint8Array;
          s[s.length - 1] = {
            addr: { raw: concat(Uint8Array.of(0), kh), entrypoint: "" },
            ty: T_UNIT,
          } satisfies ContractV;
        },
        out: out(1, tContract(T_UNIT)),
      };
    }
    case "IS_IMPLICIT_ACCOUNT": {
      S(1);
      if (top(st).prim !== "address") throw badTypes(m, st, 1, path);
      return {
        f: (s) => {
          const a = s[s.length - 1] as { raw: Uint8Array };
          s[s.length - 1] = a.raw[0] === 0 ? { some: a.raw.slice(1) } : null;
        },
        out: out(1, tOption(T_KEY_HASH)),
      };
    }
    case "CONTRACT": {
      const t = parseType(arity(m, 1, path)[0]!, `${path}.type`);
      S(1);
      if (top(st).prim !== "address") throw badTypes(m, st, 1, path);
      const ep = entrypointAnnot(m, path, false);
      return {
        f: (s, rt) => {
          const a = s[s.length - 1] as DecodedAddress;
          charge(rt, 50);
          s[s.length - 1] = lookupContract(rt, a, ep, t);
        },
        out: out(1, tOption(tContract(t))),
      };
    }
    case "TRANSFER_TOKENS": {
      if (tc.inView) throw err("TRANSFER_TOKENS is not allowed in a view", path);
      arity(m, 0, path);
      S(3);
      const [p, amt, c] = [top(st), top(st, 1), top(st, 2)];
      if (amt.prim !== "mutez" || c.prim !== "contract" || !tyEq(c.args[0]!, p))
        throw badTypes(m, st, 3, path);
      return {
        f: (s, rt) => {
          const param = s.pop()!;
          const amount = s.pop() as bigint;
          const contract = s.pop() as ContractV;
          s.push(
            newOp(rt, {
              kind: "transaction",
              source: encodeAddress(rt.self.raw),
              destination: encodeAddress(contract.addr.raw),
              entrypoint: contract.addr.entrypoint === "" ? "default" : contract.addr.entrypoint,
              amount,
              parameter: unparseData(p, param, "optimized"),
              parameterType: typeToMicheline(p),
            }),
          );
        },
        out: out(3, T_OPERATION),
      };
    }
    case "SET_DELEGATE": {
      if (tc.inView) throw err("SET_DELEGATE is not allowed in a view", path);
      arity(m, 0, path);
      S(1);
      const t = top(st);
      if (t.prim !== "option" || t.args[0]!.prim !== "key_hash") throw badTypes(m, st, 1, path);
      return {
        f: (s, rt) => {
          const d = optionKeyHash(s.pop()!);
          s.push(newOp(rt, { kind: "delegation", source: encodeAddress(rt.self.raw), delegate: d }));
        },
        out: out(1, T_OPERATION),
      };
    }
    case "CREATE_CONTRACT": {
      if (tc.inView) throw err("CREATE_CONTRACT is not allowed in a view", path);
      const [sections] = arity(m, 1, path);
      S(3);
      const [d, amt, stTy] = [top(st), top(st, 1), top(st, 2)];
      if (d.prim !== "option" || d.args[0]!.prim !== "key_hash" || amt.prim !== "mutez")
        throw badTypes(m, st, 3, path);
      if (tc.checkScript === undefined) throw err("CREATE_CONTRACT is not available here", path);
      const inner = tc.checkScript(sections!, `${path}.script`);
      if (!tyEq(inner.storage, stTy)) {
        throw err(
          `CREATE_CONTRACT storage is ${showType(stTy)}, script expects ${showType(inner.storage)}`,
          path,
        );
      }
      const code = sections as readonly Micheline[];
      return {
        f: (s, rt) => {
          const delegate = optionKeyHash(s.pop()!);
          const balance = s.pop() as bigint;
          const storage = s.pop()!;
          if (rt.ctx.nextOriginatedAddress === undefined) {
            throw new MichelsonRuntimeError(
              "unsupported",
              "CREATE_CONTRACT needs nextOriginatedAddress in the context",
              loc,
            );
          }
          const address = rt.ctx.nextOriginatedAddress();
          s.push(decodeAddress(address));
          s.push(
            newOp(rt, {
              kind: "origination",
              source: encodeAddress(rt.self.raw),
              address,
              balance,
              delegate,
              script: { code, storage: unparseData(stTy, storage, "optimized") },
            }),
          );
        },
        out: [...rest(st, 3), T_ADDRESS, T_OPERATION],
      };
    }
    case "EMIT": {
      if (tc.inView) throw err("EMIT is not allowed in a view", path);
      S(1);
      let tag: string | null = null;
      for (const a of m.annots ?? []) if (a.startsWith("%")) tag = a.slice(1);
      let t = top(st);
      if (A.length === 1) {
        t = parseType(A[0]!, `${path}.type`);
        if (!tyEq(t, top(st))) throw badTypes(m, st, 1, path);
      }
      if (!isPackable(t)) throw err(`EMIT of non-packable type ${showType(t)}`, path);
      const tm = A.length === 1 ? A[0]! : typeToMicheline(t);
      return {
        f: (s, rt) => {
          const v = s.pop()!;
          s.push(
            newOp(rt, {
              kind: "event",
              source: encodeAddress(rt.self.raw),
              tag,
              type: tm,
              payload: unparseData(t, v, "optimized"),
            }),
          );
        },
        out: out(1, T_OPERATION),
      };
    }
    case "VIEW":
      return compileView(m, st, path);
    case "INDEX_ADDRESS":
    case "GET_ADDRESS_INDEX": {
      arity(m, 0, path);
      S(1);
      if (top(st).prim !== "address") throw badTypes(m, st, 1, path);
      const allocate = m.prim === "INDEX_ADDRESS";
      return {
        f: (s, rt) => {
          const a = s[s.length - 1] as DecodedAddress;
          if (rt.ctx.addressIndex === undefined) {
            throw new MichelsonRuntimeError(
              "unsupported",
              `${m.prim} needs addressIndex in the context`,
              loc,
            );
          }
          // The registry indexes destinations: the entrypoint is not part of the key.
          const i = rt.ctx.addressIndex(encodeAddress(a.raw), allocate);
          s[s.length - 1] = allocate ? (i as bigint) : i === null ? null : { some: i };
        },
        out: out(1, allocate ? T_NAT : tOption(T_NAT)),
      };
    }
    case "TICKET": {
      arity(m, 0, path);
      S(2);
      const [c, n] = [top(st), top(st, 1)];
      if (n.prim !== "nat" || !isComparable(c)) throw badTypes(m, st, 2, path);
      return {
        f: (s, rt) => {
          const contents = s.pop()!;
          const amount = s.pop() as bigint;
          // Zero-amount tickets cannot be created (since protocol Lima).
          s.push(amount === 0n ? null : { some: { ticketer: rt.self, contents, amount } satisfies TicketV });
        },
        out: out(2, tOption(tTicket(c))),
      };
    }
    case "READ_TICKET": {
      arity(m, 0, path);
      S(1);
      const t = top(st);
      if (t.prim !== "ticket") throw badTypes(m, st, 1, path);
      return {
        f: (s) => {
          const k = s[s.length - 1] as TicketV;
          s.push([{ raw: k.ticketer.raw, entrypoint: "" }, [k.contents, k.amount] as const] as const);
        },
        out: [...st, tPair(T_ADDRESS, tPair(t.args[0]!, T_NAT))],
      };
    }
    case "SPLIT_TICKET": {
      arity(m, 0, path);
      S(2);
      const [t, p] = [top(st), top(st, 1)];
      if (
        t.prim !== "ticket" ||
        p.prim !== "pair" ||
        p.args[0]!.prim !== "nat" ||
        p.args[1]!.prim !== "nat"
      ) {
        throw badTypes(m, st, 2, path);
      }
      return {
        f: (s) => {
          const k = s.pop() as TicketV;
          const [a, b] = s.pop() as readonly [bigint, bigint];
          if (a === 0n || b === 0n || a + b !== k.amount) s.push(null);
          else
            s.push({
              some: [
                { ...k, amount: a },
                { ...k, amount: b },
              ] as const,
            });
        },
        out: out(2, tOption(tPair(t, t))),
      };
    }
    case "JOIN_TICKETS": {
      arity(m, 0, path);
      S(1);
      const p = top(st);
      if (p.prim !== "pair" || p.args[0]!.prim !== "ticket" || !tyEq(p.args[0]!, p.args[1]!))
        throw badTypes(m, st, 1, path);
      const ct = p.args[0]!.args[0]!;
      return {
        f: (s) => {
          const [a, b] = s.pop() as readonly [TicketV, TicketV];
          const same =
            compareValues(T_ADDRESS, a.ticketer, b.ticketer) === 0 &&
            compareValues(ct, a.contents, b.contents) === 0;
          s.push(same ? { some: { ...a, amount: a.amount + b.amount } satisfies TicketV } : null);
        },
        out: out(1, tOption(p.args[0]!)),
      };
    }
    default:
      throw new MichelsonTypeError("unsupported", `unknown or unsupported instruction ${m.prim}`, {
        path,
        value: m.prim,
      });
  }
}

function mapUpdate(k: Ty, mv: MapV, key: V, val: OptionV): MapV {
  const i = binarySearch(k, mv.entries, key, (e) => e[0]);
  const e = mv.entries;
  if (val === null) {
    if (i < 0) return mv;
    return { entries: [...e.slice(0, i), ...e.slice(i + 1)], id: mv.id ?? null };
  }
  if (i >= 0)
    return { entries: [...e.slice(0, i), [key, val.some] as const, ...e.slice(i + 1)], id: mv.id ?? null };
  const at = -i - 1;
  return { entries: [...e.slice(0, at), [key, val.some] as const, ...e.slice(at)], id: mv.id ?? null };
}

function lookupContract(rt: Runtime, a: DecodedAddress, instrEp: string, t: Ty): OptionV {
  // An address that already names an entrypoint cannot be combined with another one.
  if (a.entrypoint !== "" && instrEp !== "") return null;
  const ep = instrEp !== "" ? instrEp : a.entrypoint;
  // Since Oxford, implicit accounts also accept tickets on their default entrypoint.
  const implicitTicket = a.raw[0] === 0 && ep === "" && t.prim === "ticket";
  const found = contractEntrypointType(rt, a, ep);
  if (!implicitTicket && (found === null || !tyEq(found, t))) return null;
  return { some: { addr: { raw: a.raw, entrypoint: ep }, ty: t } satisfies ContractV };
}

/** Parameter type of `ep` on the contract at `a`, or null. */
export function contractEntrypointType(
  rt: { ctx: ExecutionContext; self: DecodedAddress; selfType: Ty },
  a: DecodedAddress,
  ep: string,
): Ty | null {
  if (a.raw[0] === 0) return ep === "" ? T_UNIT : null;
  let paramTy: Ty | null;
  if (addressBytesEqual(a.raw, rt.self.raw)) paramTy = rt.selfType;
  else {
    const script = rt.ctx.getContract?.(encodeAddress(a.raw)) ?? null;
    paramTy = script === null ? null : script.compiled.parameter;
  }
  if (paramTy === null) return null;
  const r = resolveEntrypointTy(paramTy, ep);
  return r === null ? null : r.type;
}

function addressBytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---------------------------------------------------------------- arithmetic table

type Arith = (a: bigint, b: bigint, loc: number) => V;
interface ArithRule {
  readonly out: Ty;
  readonly f: Arith;
}

const add = (a: bigint, b: bigint): bigint => a + b;
const sub = (a: bigint, b: bigint): bigint => a - b;
const mul = (a: bigint, b: bigint): bigint => a * b;
const edivInt: Arith = (a, b) => {
  if (b === 0n) return null;
  return { some: ediv(a, b) as readonly [V, V] };
};

const ARITH: Record<string, Record<string, ArithRule>> = {
  ADD: {
    "nat,nat": { out: T_NAT, f: add },
    "nat,int": { out: T_INT, f: add },
    "int,nat": { out: T_INT, f: add },
    "int,int": { out: T_INT, f: add },
    "timestamp,int": { out: T_TIMESTAMP, f: add },
    "int,timestamp": { out: T_TIMESTAMP, f: add },
    "mutez,mutez": { out: T_MUTEZ, f: (a, b) => mutezAdd(a, b) },
  },
  SUB: {
    "nat,nat": { out: T_INT, f: sub },
    "nat,int": { out: T_INT, f: sub },
    "int,nat": { out: T_INT, f: sub },
    "int,int": { out: T_INT, f: sub },
    "timestamp,int": { out: T_TIMESTAMP, f: sub },
    "timestamp,timestamp": { out: T_INT, f: sub },
  },
  MUL: {
    "nat,nat": { out: T_NAT, f: mul },
    "nat,int": { out: T_INT, f: mul },
    "int,nat": { out: T_INT, f: mul },
    "int,int": { out: T_INT, f: mul },
    "mutez,nat": { out: T_MUTEZ, f: (a, b) => mutezMul(a, b) },
    "nat,mutez": { out: T_MUTEZ, f: (a, b) => mutezMul(a, b) },
  },
  EDIV: {
    "nat,nat": { out: tOption(tPair(T_NAT, T_NAT)), f: edivInt },
    "nat,int": { out: tOption(tPair(T_INT, T_NAT)), f: edivInt },
    "int,nat": { out: tOption(tPair(T_INT, T_NAT)), f: edivInt },
    "int,int": { out: tOption(tPair(T_INT, T_NAT)), f: edivInt },
    "mutez,nat": { out: tOption(tPair(T_MUTEZ, T_MUTEZ)), f: edivInt },
    "mutez,mutez": { out: tOption(tPair(T_NAT, T_MUTEZ)), f: edivInt },
  },
};

function arith(m: MichelinePrim, st: Stack, loc: number, path: string): Compiled {
  const a = top(st);
  const b = top(st, 1);
  const rule = ARITH[m.prim]![`${a.prim},${b.prim}`];
  if (rule === undefined) {
    if (m.prim === "SUB" && a.prim === "mutez" && b.prim === "mutez") {
      throw err("SUB on mutez is deprecated: use SUB_MUTEZ", path);
    }
    throw badTypes(m, st, 2, path);
  }
  const f = rule.f;
  return {
    f: (s, rt) => {
      const x = s.pop() as bigint;
      const y = s.pop() as bigint;
      if (m.prim === "MUL" || m.prim === "EDIV") charge(rt, (bitLen(x) + bitLen(y)) >> 4);
      try {
        s.push(f(x, y, loc));
      } catch (e) {
        if (e instanceof MichelsonRuntimeError && e.location === -1) {
          throw new MichelsonRuntimeError(e.kind, e.message, loc, e.with_, e.amounts);
        }
        throw e;
      }
    },
    out: [...rest(st, 2), rule.out],
  };
}

/** ADD/MUL on BLS12-381 scalars and points, or null when the operands are not BLS values. */
function blsArith(m: MichelinePrim, st: Stack, path: string): Compiled | null {
  const a = top(st).prim;
  const b = top(st, 1).prim;
  if (!a.startsWith("bls12_381") && !b.startsWith("bls12_381")) return null;
  const o = (t: Ty): Stack => [...rest(st, 2), t];
  if (m.prim === "ADD" && a === b) {
    if (a === "bls12_381_fr") {
      return { f: (s) => void s.push(frOfInt((s.pop() as bigint) + (s.pop() as bigint))), out: o(top(st)) };
    }
    return {
      f: (s) => {
        const x = s.pop() as BlsPointV;
        s.push(pointAdd(x, s.pop() as BlsPointV));
      },
      out: o(top(st)),
    };
  }
  if (m.prim === "MUL") {
    const scalarLike = (p: string): boolean => p === "bls12_381_fr" || p === "nat" || p === "int";
    if ((a === "bls12_381_g1" || a === "bls12_381_g2") && b === "bls12_381_fr") {
      return {
        f: (s, rt) => {
          const p = s.pop() as BlsPointV;
          charge(rt, 100);
          s.push(pointMul(p, s.pop() as bigint));
        },
        out: o(top(st)),
      };
    }
    if (scalarLike(a) && scalarLike(b) && (a === "bls12_381_fr" || b === "bls12_381_fr")) {
      return {
        f: (s) => void s.push(frOfInt((s.pop() as bigint) * (s.pop() as bigint))),
        out: o(top(st, a === "bls12_381_fr" ? 0 : 1)),
      };
    }
  }
  throw badTypes(m, st, 2, path);
}

function bitLen(x: bigint): number {
  return (x < 0n ? -x : x).toString(16).length * 4;
}

// ---------------------------------------------------------------- views

function compileView(m: MichelinePrim, st: Stack, path: string): Compiled {
  const [nameM, retM] = arity(m, 2, path);
  if (nameM === undefined || !("string" in nameM)) throw err("VIEW expects a name string", path);
  const name = (nameM as { string: string }).string;
  if (!/^[a-zA-Z0-9_.%@]{1,31}$/.test(name)) throw err(`invalid view name "${name}"`, path);
  const ret = parseType(retM!, `${path}.type`);
  need(st, 2, m, path);
  const argTy = top(st);
  if (top(st, 1).prim !== "address") throw badTypes(m, st, 2, path);
  return {
    f: (s, rt) => {
      const arg = s.pop()!;
      const addr = s.pop() as DecodedAddress;
      charge(rt, 100);
      s.push(callView(rt, addr, name, argTy, arg, ret));
    },
    out: [...rest(st, 2), tOption(ret)],
  };
}

function callView(rt: Runtime, addr: DecodedAddress, name: string, argTy: Ty, arg: V, ret: Ty): OptionV {
  if (addr.raw[0] !== 1) return null;
  const target = encodeAddress(addr.raw);
  const state = rt.ctx.getContractState?.(target) ?? null;
  if (state === null) return null;
  const view = state.script.compiled.views.get(name);
  if (view === undefined || !tyEq(view.input, argTy) || !tyEq(view.output, ret)) return null;
  const storageTy = state.script.compiled.storage;
  const storage = parseData(storageTy, state.storage, rt.tc, "view storage");
  // Inside a view, SENDER is the caller, SELF_ADDRESS and BALANCE are the view's contract.
  const inner: Runtime = {
    ...rt,
    ctx: { ...rt.ctx, self: target, balance: state.balance, amount: 0n, sender: encodeAddress(rt.self.raw) },
    self: addr.entrypoint === "" ? addr : { raw: addr.raw, entrypoint: "" },
    sender: rt.self,
    selfType: state.script.compiled.parameter,
  };
  const s: V[] = [[arg, storage] as const];
  try {
    view.body(s, inner);
  } finally {
    rt.gas = inner.gas;
  }
  return { some: s[0]! };
}
