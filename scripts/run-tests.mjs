#!/usr/bin/env node
// Runs every test suite of the repository in turn, streams their output, and closes with one
// summary line ("N passed, N failed, N skipped") so CI and humans read one verdict.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

const suites = [
  { name: "contracts", cmd: ["npx", "hardhat", "test", "mocha"], parse: parseMocha, when: "test" },
  {
    name: "toolkit",
    cmd: ["npm", "run", "--silent", "test:toolkit"],
    parse: parseNodeTest,
    when: "toolkit/test",
  },
  { name: "tezos", cmd: ["npm", "run", "--silent", "test:tezos"], parse: parseNodeTest, when: "tezos/test" },
  {
    name: "services",
    cmd: ["npm", "run", "--silent", "test:services"],
    parse: parseNodeTest,
    when: "services",
  },
];

const only = process.argv.slice(2);
const selected = suites.filter((s) => (only.length === 0 || only.includes(s.name)) && existsSync(s.when));

function run({ cmd }) {
  return new Promise((resolve) => {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: process.env });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk) => {
      out += chunk;
      process.stderr.write(chunk);
    });
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

// Mocha's spec reporter: "12 passing", "1 failing", "2 pending".
function parseMocha(out) {
  const num = (re) => [...out.matchAll(re)].reduce((sum, m) => sum + Number(m[1]), 0);
  return {
    passed: num(/^\s*(\d+) passing/gm),
    failed: num(/^\s*(\d+) failing/gm),
    skipped: num(/^\s*(\d+) pending/gm),
  };
}

// node:test's summary: "ℹ pass 12" / "# pass 12".
function parseNodeTest(out) {
  const last = (key) => {
    const all = [...out.matchAll(new RegExp(`^(?:ℹ|#) ${key} (\\d+)`, "gm"))];
    return all.length ? Number(all[all.length - 1][1]) : 0;
  };
  return {
    passed: last("pass"),
    failed: last("fail") + last("cancelled"),
    skipped: last("skipped") + last("todo"),
  };
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const verdicts = [];
for (const suite of selected) {
  console.log(`\n=== ${suite.name} ===`);
  const { code, out } = await run(suite);
  const counts = suite.parse(out);
  // A suite that exits non-zero without reporting a failure still failed (crash, compile error).
  if (code !== 0 && counts.failed === 0) counts.failed = 1;
  totals.passed += counts.passed;
  totals.failed += counts.failed;
  totals.skipped += counts.skipped;
  verdicts.push(`${suite.name}: ${counts.passed} passed, ${counts.failed} failed (exit ${code})`);
}

console.log("\n=== summary ===");
for (const line of verdicts) console.log(line);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed === 0 && totals.passed > 0 ? 0 : 1);
