/**
 * Runs a JSON table of opcode cases against the interpreter and prints one line per case.
 *
 * Usage: `npx tsx tezos/sandbox/michelson/conformance-cli.ts cases.json`
 *
 * The file holds an array of cases: `{ "name", "script" | "scriptFile", "parameter", "storage",
 * "expected": "<storage>" | { "fails": "failwith" | "overflow" | ..., "with"?: "<value>" },
 * "entrypoint"?, "context"? }`. Context fields: `self`, `sender`, `source`, `chainId` (strings),
 * `amount`, `balance`, `now`, `level`, `gasLimit`, `totalVotingPower`, `minBlockTime` (decimal
 * strings or numbers), `votingPower` (`{ "tz1...": "123" }`), `bigMapsFirstId` (first fresh big-map
 * id, e.g. 4 to match `octez-client run script` in mockup mode). `scriptFile` is relative to the
 * JSON file. Exit code 1 if any case fails.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { ConformanceCase, ExpectedFailure } from "./conformance.js";
import { runConformanceCase } from "./conformance.js";
import type { ExecutionContext } from "./execute.js";
import { createMemoryBigMapStore } from "./bigmaps.js";

interface JsonCase {
  readonly name?: string;
  readonly script?: string;
  readonly scriptFile?: string;
  readonly parameter: string;
  readonly storage: string;
  readonly expected: string | ExpectedFailure;
  readonly entrypoint?: string;
  readonly context?: Record<string, unknown>;
}

const BIGINT_FIELDS = [
  "amount",
  "balance",
  "now",
  "level",
  "gasLimit",
  "totalVotingPower",
  "minBlockTime",
] as const;
const STRING_FIELDS = ["self", "sender", "source", "chainId"] as const;

function toBigInt(v: unknown, field: string): bigint {
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
  throw new Error(`context.${field}: expected an integer, got ${JSON.stringify(v)}`);
}

function contextOf(raw: Record<string, unknown> | undefined): Partial<ExecutionContext> {
  if (raw === undefined) return {};
  const ctx: Record<string, unknown> = {};
  for (const f of BIGINT_FIELDS) if (raw[f] !== undefined) ctx[f] = toBigInt(raw[f], f);
  for (const f of STRING_FIELDS) {
    if (raw[f] === undefined) continue;
    if (typeof raw[f] !== "string") throw new Error(`context.${f}: expected a string`);
    ctx[f] = raw[f];
  }
  if (raw.votingPower !== undefined) {
    const table = new Map(
      Object.entries(raw.votingPower as Record<string, unknown>).map(([k, v]) => [
        k,
        toBigInt(v, "votingPower"),
      ]),
    );
    ctx.votingPower = (kh: string): bigint => table.get(kh) ?? 0n;
  }
  if (raw.bigMapsFirstId !== undefined)
    ctx.bigMaps = createMemoryBigMapStore(toBigInt(raw.bigMapsFirstId, "bigMapsFirstId"));
  return ctx as Partial<ExecutionContext>;
}

function main(argv: readonly string[]): number {
  const file = argv[0];
  if (file === undefined) {
    console.error("usage: conformance-cli.ts <cases.json>");
    return 2;
  }
  const cases = JSON.parse(readFileSync(file, "utf8")) as JsonCase[];
  if (!Array.isArray(cases)) throw new Error("the cases file must hold a JSON array");
  let failed = 0;
  cases.forEach((c, i) => {
    const script =
      c.script ??
      (c.scriptFile !== undefined ? readFileSync(resolve(dirname(file), c.scriptFile), "utf8") : undefined);
    if (script === undefined) throw new Error(`case ${i}: needs "script" or "scriptFile"`);
    const kase: ConformanceCase = {
      name: c.name ?? c.scriptFile ?? `case ${i}`,
      script,
      parameter: c.parameter,
      storage: c.storage,
      expected: c.expected,
      context: contextOf(c.context),
      ...(c.entrypoint !== undefined ? { entrypoint: c.entrypoint } : {}),
    };
    let line: string;
    try {
      const r = runConformanceCase(kase);
      if (!r.ok) failed++;
      line = r.ok ? `ok   ${kase.name}` : `FAIL ${kase.name}: expected ${r.expected}, got ${r.actual}`;
    } catch (e) {
      failed++;
      line = `FAIL ${kase.name}: ${(e as Error).message}`;
    }
    console.log(line);
  });
  console.log(`${cases.length - failed}/${cases.length} passed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
