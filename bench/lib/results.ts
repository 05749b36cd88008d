import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Directory every benchmark writes its JSON results to. */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "results");

/** Writes `bench/results/<name>.json` (pretty-printed, trailing newline) and returns its path. */
export function writeResult(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(
    path,
    `${JSON.stringify(data, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v), 2)}\n`,
  );
  return path;
}
