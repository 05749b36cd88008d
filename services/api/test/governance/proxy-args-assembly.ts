/**
 * Replays the word writes of `ProxyArgs.creationCode` (contracts/governance/ProxyArgs.sol) on a byte
 * buffer, reading the Solidity source itself, so a test can check the off-chain builders against the
 * word constants the factory really uses without running an EVM. Understands exactly what that
 * function uses, however it is laid out over lines: `mstore(dest, expr)` with dest `p` or
 * `add(p, K)` and expr built of number literals, the function's arguments, `shl(K, expr)` and
 * `or(expr, expr)`.
 */
const WORD = (1n << 256n) - 1n;

type Args = Readonly<Record<string, string>>;

/** A tiny recursive-descent evaluator of the Yul expressions in the writes. */
function evaluate(expr: string, args: Args): bigint {
  let pos = 0;
  const skip = () => {
    while (expr[pos] === " ") pos++;
  };
  const token = (): string => {
    skip();
    const m = /^(0x[0-9a-fA-F]+|[0-9]+|[A-Za-z_][A-Za-z0-9_]*|[(),])/.exec(expr.slice(pos));
    if (!m) throw new Error(`cannot read '${expr.slice(pos)}'`);
    pos += m[0].length;
    return m[0];
  };
  const expect = (t: string) => {
    const got = token();
    if (got !== t) throw new Error(`expected '${t}', got '${got}' in '${expr}'`);
  };
  const value = (): bigint => {
    const t = token();
    if (/^[0-9]/.test(t)) return BigInt(t);
    if (t === "shl" || t === "or" || t === "add") {
      expect("(");
      const a = value();
      expect(",");
      const b = value();
      expect(")");
      return t === "shl" ? (b << a) & WORD : t === "or" ? a | b : (a + b) & WORD;
    }
    const arg = args[t];
    if (arg === undefined) throw new Error(`unknown identifier '${t}'`);
    return BigInt(arg);
  };
  const result = value();
  skip();
  if (pos !== expr.length) throw new Error(`trailing '${expr.slice(pos)}'`);
  return result;
}

/**
 * The creation code `ProxyArgs.creationCode(args)` returns, assembled from `source` (ProxyArgs.sol).
 *
 * @throws {Error} when the source no longer has the shape this replay understands.
 */
export function assembleLikeProxyArgs(source: string, args: Args): string {
  const length = /CREATION_LENGTH = (0x[0-9a-f]+);/.exec(source);
  const body = /function creationCode\([\s\S]*?assembly \("memory-safe"\) \{([\s\S]*?)mstore\(code,/.exec(
    source,
  );
  if (!length || !body) throw new Error("ProxyArgs.sol no longer has the expected creationCode");
  const memory = new Uint8Array(0x200);
  // Offsets relative to the code's first byte: `p` is 0 for the replay.
  const scope = { ...args, p: "0" };
  const text = body[1]!.replace(/\/\/[^\n]*/g, "").replace(/\s+/g, " ");
  let writes = 0;
  for (let at = text.indexOf("mstore("); at !== -1; at = text.indexOf("mstore(", at + 1)) {
    const [dest, expr] = topLevelArguments(text, at + "mstore(".length);
    if (dest === undefined || expr === undefined) throw new Error(`cannot read mstore at ${at}`);
    if (!/^(p|add\(p, ?0x[0-9a-f]+\))$/.test(dest)) continue; // the length and free-pointer writes
    const offset = Number(evaluate(dest, scope));
    const word = evaluate(expr, scope);
    for (let i = 0; i < 32; i++) memory[offset + i] = Number((word >> BigInt(8 * (31 - i))) & 0xffn);
    writes++;
  }
  if (writes !== 10) throw new Error(`expected ten word writes in creationCode, found ${writes}`);
  return "0x" + Buffer.from(memory.subarray(0, Number(length[1]))).toString("hex");
}

/** The comma-separated arguments of the call whose "(" ends just before `from`, split at depth 0. */
function topLevelArguments(text: string, from: number): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === "(") depth++;
    else if (ch === ")" && depth > 0) depth--;
    else if ((ch === "," || ch === ")") && depth === 0) {
      out.push(text.slice(start, i).trim());
      if (ch === ")") return out;
      start = i + 1;
    }
  }
  throw new Error("unbalanced parentheses in creationCode");
}
