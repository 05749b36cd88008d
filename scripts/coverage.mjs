#!/usr/bin/env node
// `npm run coverage [-- <test files>]`: runs the mocha suite under Hardhat's coverage
// (`hardhat test mocha --coverage`), prints Hardhat's table and ours, writes coverage/lcov.info,
// and exits 1 unless every production contract (contracts/ outside mocks/ and test-doubles/) has
// 100% lines, 100% statements and 100% if/else branches.
//
// Why more than Hardhat's table: Hardhat 3.18's coverage (EDR) instruments statements only. Its
// lcov carries DA (line) records and no BRDA (branch) records, and a line counts as covered as soon
// as every statement on it ran. A branch is therefore measured here from EDR's own per-statement hit
// counts (coverage/data/**/*.json, keyed by the tags EDR's instrumenter gives each statement):
//   - the taken side of `if` is its body statement, which has its own tag;
//   - the else side is the `else` body's tag, or, without an `else`, the `if` statement having run
//     more often than its body (some execution evaluated the condition and skipped the body).
// The script re-instruments each source with the same EDR function and source name Hardhat uses, so
// the tags match, derives the if/else structure from the nesting of statement ranges, checks both
// sides, and appends the result to coverage/lcov.info as standard BRDA/BRF/BRH records.
// Not measurable from statement probes: the operands of `&&`/`||` and the arms of `?:`. They are
// listed (file:line) so a reviewer can check the tests that drive them; they do not fail the run.
//
// The run happens in a private copy of the project (node_modules linked, not copied): Hardhat writes
// instrumented bytecode into artifacts/, which a concurrent `hardhat build` in the checkout would
// otherwise overwrite mid-run (and whose instrumented artifacts would otherwise leak into gas
// benchmarks).
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { addStatementCoverageInstrumentation } from "@nomicfoundation/edr";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Top-level entries that are build output, caches or history: never copied into the workspace. */
const NOT_COPIED = new Set(["node_modules", "artifacts", "cache", "coverage", "types", ".git", ".tmp"]);
/** Test-only Solidity: reported by Hardhat but held to no threshold. */
const EXEMPT = ["contracts/mocks/", "contracts/test-doubles/"];
/** Hardhat names project sources `project/<path>`; EDR's tags depend on that name. */
const SOURCE_NAME_PREFIX = "project/";

function solcVersion() {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const version = pkg.devDependencies?.solc ?? pkg.dependencies?.solc;
  if (!/^\d+\.\d+\.\d+$/.test(version ?? ""))
    throw new Error(`expected a pinned solc version, got ${version}`);
  return version;
}

function makeWorkspace() {
  const work = mkdtempSync(path.join(tmpdir(), "coldpath-coverage-"));
  for (const entry of readdirSync(ROOT)) {
    if (NOT_COPIED.has(entry)) continue;
    cpSync(path.join(ROOT, entry), path.join(work, entry), { recursive: true });
  }
  symlinkSync(path.join(ROOT, "node_modules"), path.join(work, "node_modules"), "dir");
  return work;
}

function runHardhat(work, testFiles) {
  const cli = realpathSync(path.join(ROOT, "node_modules", ".bin", "hardhat"));
  const args = [cli, "test", "mocha", "--coverage", ...testFiles];
  console.log(`$ hardhat ${args.slice(1).join(" ")}   (in ${work})`);
  const result = spawnSync(process.execPath, args, { cwd: work, stdio: "inherit", env: process.env });
  return result.status ?? 1;
}

function walkSol(dir, rel = "") {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    const relPath = rel === "" ? entry : `${rel}/${entry}`;
    if (statSync(full).isDirectory()) out.push(...walkSol(full, relPath));
    else if (entry.endsWith(".sol")) out.push(relPath);
  }
  return out;
}

function readHits(coverageDir) {
  const hits = new Map();
  const dataDir = path.join(coverageDir, "data");
  if (!existsSync(dataDir)) return hits;
  const stack = [dataDir];
  while (stack.length > 0) {
    const dir = stack.pop();
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) stack.push(full);
      else if (entry.endsWith(".json")) {
        for (const [tag, count] of Object.entries(JSON.parse(readFileSync(full, "utf8")))) {
          hits.set(tag, (hits.get(tag) ?? 0) + Number(count));
        }
      }
    }
  }
  return hits;
}

function parseLcov(text) {
  const records = new Map();
  let current = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("SF:")) current = { lines: new Map() };
    if (current === null) continue;
    if (line.startsWith("SF:")) records.set(line.slice(3), current);
    else if (line.startsWith("DA:")) {
      const [lineNo, count] = line.slice(3).split(",");
      current.lines.set(Number(lineNo), Number(count));
    } else if (line === "end_of_record") current = null;
  }
  return records;
}

function lineOf(source, offset) {
  let line = 1;
  for (let i = 0; i < offset && i < source.length; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

/** Strips leading whitespace and comments, which EDR includes in a statement's range. */
function code(text) {
  return text.replace(/^(?:\s+|\/\/[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/, "");
}

/**
 * If/else branches of one file from EDR's statement ranges: each `if` statement's first nested
 * statement is its body; a second one after an `else` keyword is the else body.
 */
function branchesOf(source, statements, hits) {
  const sorted = [...statements].sort((a, b) => a.start - b.start || b.end - a.end);
  const children = new Map(sorted.map((s) => [s, []]));
  const open = [];
  for (const s of sorted) {
    while (open.length > 0 && open[open.length - 1].end <= s.start) open.pop();
    if (open.length > 0) children.get(open[open.length - 1]).push(s);
    open.push(s);
  }
  const branches = [];
  for (const s of sorted) {
    const text = code(source.slice(s.start, s.end));
    if (!/^if\s*\(/.test(text)) continue;
    const [body, next] = children.get(s);
    if (body === undefined) continue;
    const elseBody =
      next !== undefined && /\belse\b/.test(source.slice(body.end, next.start)) ? next : undefined;
    const line = lineOf(source, s.start + (source.slice(s.start, s.end).length - text.length));
    const ifHits = hits.get(s.tag) ?? 0;
    const bodyHits = hits.get(body.tag) ?? 0;
    const otherHits = elseBody !== undefined ? (hits.get(elseBody.tag) ?? 0) : Math.max(0, ifHits - bodyHits);
    branches.push({ line, taken: bodyHits, notTaken: otherHits, hasElse: elseBody !== undefined });
  }
  return branches;
}

/**
 * Conditions statement probes cannot see (file lines): `&&`, `||` and `?:` operands, and the
 * `if`/`switch` of inline assembly, which EDR does not instrument.
 */
function unmeasuredConditions(source) {
  const stripped = source
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, " "))
    .replace(/\/\/[^\n]*/g, "");
  const found = [];
  let assemblyDepth = 0;
  stripped.split("\n").forEach((text, i) => {
    const inAssembly = assemblyDepth > 0 || /\bassembly\b/.test(text);
    if (/&&|\|\||\?[^:;]*:/.test(text) || (inAssembly && /\b(?:if|switch)\b/.test(text))) found.push(i + 1);
    if (inAssembly) assemblyDepth += (text.match(/\{/g) ?? []).length - (text.match(/\}/g) ?? []).length;
  });
  return found;
}

function analyse(coverageDir) {
  const lcovPath = path.join(coverageDir, "lcov.info");
  if (!existsSync(lcovPath)) {
    console.error(`coverage: ${lcovPath} was not written`);
    return { ok: false };
  }
  const lcovText = readFileSync(lcovPath, "utf8");
  const lcov = parseLcov(lcovText);
  const hits = readHits(coverageDir);
  const version = solcVersion();
  const rows = [];
  const branchRecords = new Map();
  let ok = true;
  const targets = walkSol(path.join(ROOT, "contracts"))
    .map((rel) => `contracts/${rel}`)
    .filter((rel) => !EXEMPT.some((prefix) => rel.startsWith(prefix)))
    .sort();
  for (const rel of targets) {
    const source = readFileSync(path.join(ROOT, rel), "utf8");
    const { metadata } = addStatementCoverageInstrumentation(source, SOURCE_NAME_PREFIX + rel, version);
    const statements = metadata
      .filter((m) => m.kind === "statement")
      .map((m) => ({ tag: Buffer.from(m.tag).toString("hex"), start: m.startUtf16, end: m.endUtf16 }));
    if (statements.length === 0) {
      rows.push({ rel, note: "no executable code" });
      continue;
    }
    const record = lcov.get(rel);
    const lineCounts = record?.lines ?? new Map();
    const missedLines = [...lineCounts].filter(([, n]) => n === 0).map(([l]) => l);
    const missedStatements = statements
      .filter((s) => (hits.get(s.tag) ?? 0) === 0)
      .map((s) =>
        lineOf(
          source,
          s.start + (source.slice(s.start, s.end).length - code(source.slice(s.start, s.end)).length),
        ),
      );
    const branches = branchesOf(source, statements, hits);
    const missedBranches = branches.flatMap((b) => [
      ...(b.taken === 0 ? [`${b.line}:if`] : []),
      ...(b.notTaken === 0 ? [`${b.line}:${b.hasElse ? "else" : "skip"}`] : []),
    ]);
    branchRecords.set(rel, branches);
    const fileOk =
      record !== undefined &&
      lineCounts.size > 0 &&
      missedLines.length === 0 &&
      missedStatements.length === 0 &&
      missedBranches.length === 0;
    ok &&= fileOk;
    rows.push({
      rel,
      lines: `${lineCounts.size - missedLines.length}/${lineCounts.size}`,
      statements: `${statements.length - missedStatements.length}/${statements.length}`,
      branches: `${branches.length * 2 - missedBranches.length}/${branches.length * 2}`,
      missed:
        record === undefined
          ? "not in lcov.info"
          : [
              ...missedLines.map((l) => `L${l}`),
              ...[...new Set(missedStatements)].map((l) => `S${l}`),
              ...missedBranches.map((b) => `B${b}`),
            ].join(" "),
      unmeasured: unmeasuredConditions(source),
      ok: fileOk,
    });
  }
  writeFileSync(lcovPath, withBranchRecords(lcovText, branchRecords));
  return { ok, rows };
}

/** Appends BRDA/BRF/BRH records (block = line, branch 0 = if taken, 1 = not taken) per file. */
function withBranchRecords(lcovText, branchRecords) {
  let file = null;
  const out = [];
  for (const line of lcovText.split("\n")) {
    if (line.startsWith("SF:")) file = line.slice(3);
    if (line === "end_of_record" && file !== null && branchRecords.has(file)) {
      const branches = branchRecords.get(file);
      for (const b of branches) {
        out.push(`BRDA:${b.line},${b.line},0,${b.taken === 0 ? "-" : b.taken}`);
        out.push(`BRDA:${b.line},${b.line},1,${b.notTaken === 0 ? "-" : b.notTaken}`);
      }
      out.push(`BRF:${branches.length * 2}`);
      out.push(`BRH:${branches.reduce((n, b) => n + (b.taken > 0 ? 1 : 0) + (b.notTaken > 0 ? 1 : 0), 0)}`);
    }
    out.push(line);
  }
  return out.join("\n");
}

function printRows(rows) {
  console.log("\nProduction contracts (100% lines, statements and if/else branches required):");
  for (const row of rows) {
    if (row.note !== undefined) {
      console.log(`  ${row.rel}: ${row.note}`);
      continue;
    }
    const verdict = row.ok ? "ok  " : "FAIL";
    console.log(
      `  ${verdict} ${row.rel}  lines ${row.lines}  statements ${row.statements}  branches ${row.branches}` +
        (row.missed === "" ? "" : `  missed: ${row.missed}`),
    );
    if (row.unmeasured.length > 0) {
      console.log(
        `       not measurable by statement probes (&&, ||, ?:, assembly if/switch), lines: ${row.unmeasured.join(", ")}`,
      );
    }
  }
}

if (Number(process.versions.node.split(".")[0]) < 22) {
  console.error(
    `coverage: Hardhat 3 needs Node >= 22, this is ${process.version}; run it as \`npm run coverage\``,
  );
  process.exit(1);
}
const testFiles = process.argv.slice(2);
const work = makeWorkspace();
let exitCode = 1;
try {
  const status = runHardhat(work, testFiles);
  const produced = path.join(work, "coverage");
  rmSync(path.join(ROOT, "coverage"), { recursive: true, force: true });
  if (existsSync(produced)) cpSync(produced, path.join(ROOT, "coverage"), { recursive: true });
  const { ok, rows } = analyse(path.join(ROOT, "coverage"));
  if (rows !== undefined) printRows(rows);
  if (status !== 0) console.error(`\ncoverage: the test run failed (exit ${status})`);
  exitCode = status === 0 && ok ? 0 : 1;
  console.log(
    exitCode === 0
      ? "\ncoverage: 100% lines, statements and branches on every production contract; lcov at coverage/lcov.info"
      : "\ncoverage: FAILED (see above)",
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
