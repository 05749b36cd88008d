/**
 * Garbage-collection pauses of this thread while a section runs: a pause stops the API's event
 * loop, so every request in flight waits for it, which shows as a cluster of slow answers.
 */
import { PerformanceObserver, type PerformanceEntry } from "node:perf_hooks";

/** What {@link watchGcPauses} reports. */
export interface GcPauses {
  readonly count: number;
  readonly totalMs: number;
  readonly maxMs: number;
  /** Pauses of 10 ms or more, by kind (V8's major, minor, incremental, weak callbacks). */
  readonly over10Ms: Record<string, number>;
}

const KINDS: Record<number, string> = { 1: "minor", 2: "major", 4: "incremental", 8: "weakcb" };

/** Starts collecting; `stop` answers what was seen since. */
export function watchGcPauses(): { stop(): GcPauses } {
  const seen: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()));
  observer.observe({ entryTypes: ["gc"] });
  return {
    stop() {
      seen.push(...observer.takeRecords());
      observer.disconnect();
      const over10Ms: Record<string, number> = {};
      for (const e of seen) {
        if (e.duration < 10) continue;
        const detail = (e as PerformanceEntry & { detail?: { kind?: number } }).detail;
        const kind = KINDS[detail?.kind ?? 0] ?? "other";
        over10Ms[kind] = (over10Ms[kind] ?? 0) + 1;
      }
      const durations = seen.map((e) => e.duration);
      return {
        count: seen.length,
        totalMs: Math.round(durations.reduce((a, b) => a + b, 0) * 10) / 10,
        maxMs: Math.round(Math.max(0, ...durations) * 10) / 10,
        over10Ms,
      };
    },
  };
}
