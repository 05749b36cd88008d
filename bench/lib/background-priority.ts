/**
 * CPU priority of the benchmark's background processes (outbox worker, hot signer, chain). The
 * API answers clients and must not wait behind work nobody is waiting for, so in production it
 * runs on its own cores or at a higher priority than the workers; on this shared two-core machine
 * the benchmark gives the background processes a lower priority (decision 0975).
 * BENCH_BACKGROUND_NICE (19, the lowest; 0 to share the CPU equally) for the signer and the chain;
 * BENCH_WORKER_NICE (the same unless set) for the outbox worker, which also takes the audit
 * chain's lock the API waits on.
 */
import { setPriority } from "node:os";

function niceFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  const nice = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isInteger(nice) || nice < 0 || nice > 19)
    throw new Error(`${name} must be an integer from 0 to 19, got ${raw}`);
  return nice;
}

/** The niceness given to the signer and chain processes. */
export const BACKGROUND_NICE = niceFrom("BENCH_BACKGROUND_NICE", 19);
/** The niceness given to the outbox worker process. */
export const WORKER_NICE = niceFrom("BENCH_WORKER_NICE", BACKGROUND_NICE);

/** Lowers the priority of the background process `pid` to `nice` (no-op at 0). */
export function asBackground(pid: number | undefined, nice = BACKGROUND_NICE): void {
  if (pid !== undefined && nice > 0) setPriority(pid, nice);
}
