import { writeFileSync } from "node:fs";
import type { OutboxReliability, TestPausePoint } from "./reliability-settings.js";

/**
 * TEST ONLY crash hook. When `COLDPATH_TEST_PAUSE_AT` names a point, the worker reaching it writes
 * `COLDPATH_TEST_PAUSE_FILE` (JSON: point, pid, details) and then waits forever, so a test can
 * SIGKILL the process at exactly that moment. Inert (answers at once) when the variable is unset,
 * which it must be in production.
 */
export async function pauseForTest(
  settings: OutboxReliability,
  point: TestPausePoint,
  details: Record<string, string>,
): Promise<void> {
  if (settings.testPauseAt !== point || settings.testPauseFile === undefined) return;
  writeFileSync(settings.testPauseFile, JSON.stringify({ point, pid: process.pid, ...details }));
  // Never resolves: the test kills the process here (its HTTP server keeps it alive meanwhile).
  await new Promise<never>(() => {});
}
