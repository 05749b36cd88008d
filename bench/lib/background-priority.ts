/**
 * CPU priority of the benchmark's background processes (outbox worker, hot signer, chain). The
 * API answers clients and must not wait behind work nobody is waiting for, so in production it
 * runs on its own cores or at a higher priority than the workers; on this shared two-core machine
 * the benchmark gives the background processes a lower priority (decision 0975).
 * BENCH_BACKGROUND_NICE (19, the lowest; 0 to share the CPU equally).
 */
import { setPriority } from "node:os";

const NICE = Number(process.env.BENCH_BACKGROUND_NICE ?? "19");
if (!Number.isInteger(NICE) || NICE < 0 || NICE > 19)
  throw new Error(
    `BENCH_BACKGROUND_NICE must be an integer from 0 to 19, got ${process.env.BENCH_BACKGROUND_NICE}`,
  );

/** The niceness given to background processes. */
export const BACKGROUND_NICE = NICE;

/** Lowers the priority of the background process `pid` (no-op at 0). */
export function asBackground(pid: number | undefined): void {
  if (pid !== undefined && NICE > 0) setPriority(pid, NICE);
}
