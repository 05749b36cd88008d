#!/usr/bin/env node
// `npm run bench`: runs every benchmark in turn; each writes its JSON under bench/results/.
// Benchmarks measure, they do not assert: a missed target is reported by the benchmark itself.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const benches = [
  { script: "bench:gas", file: "bench/gas.ts" },
  { script: "bench:toolkit", file: "bench/toolkit.ts" },
  { script: "bench:tezos", file: "bench/tezos.ts" },
  { script: "bench:service", file: "bench/service.ts" },
  { script: "bench:policy", file: "bench/policy.ts" },
];

let failed = 0;
for (const { script, file } of benches) {
  if (!existsSync(file)) {
    console.log(`\n=== ${script}: not built yet (${file} missing), skipped`);
    continue;
  }
  console.log(`\n=== ${script}`);
  const run = spawnSync("npm", ["run", "--silent", script], { stdio: "inherit" });
  if (run.status !== 0) {
    failed += 1;
    console.log(`${script} exited with ${run.status}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
