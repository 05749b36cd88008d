/** Small, crash-safe file helpers for the main job's state folder (`.coldpath/`). */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Reads a JSON file, or answers `undefined` when it does not exist. */
export function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/**
 * Writes `text` to `file` through a temporary file and a rename, so a crash leaves either the old
 * or the new content, never half of it.
 */
export function writeAtomically(file: string, text: string, mode = 0o600): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}

/** Writes `value` as pretty JSON, atomically. */
export function writeJson(file: string, value: unknown): void {
  writeAtomically(file, JSON.stringify(value, null, 2) + "\n");
}

/** The one line a child prints when it is ready: `COLDPATH_READY {json}`. */
export const READY_PREFIX = "COLDPATH_READY ";

/** Prints the ready line with `info` for the parent (scripts/start-all.ts). */
export function announceReady(info: Record<string, unknown>): void {
  process.stdout.write(READY_PREFIX + JSON.stringify(info) + "\n");
}
