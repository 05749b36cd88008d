/**
 * BENCH_CHILD_CPU_PROFILE_DIR (unset): a folder where the benchmark's child processes (outbox
 * worker, hot signer, chain) write V8 CPU profiles when they exit, one sub-folder per process kind.
 */
import { join } from "node:path";

/** Node options that make a child write its CPU profile under `<dir>/<name>`, or none. */
export function childProfileArgs(name: string): string[] {
  const dir = process.env.BENCH_CHILD_CPU_PROFILE_DIR;
  return dir ? ["--cpu-prof", "--cpu-prof-dir", join(dir, name)] : [];
}
