/**
 * Per-method wall-clock accounting for an object the benchmark hands to the service (its chain
 * client, its signer client), so the worker loop can be profiled without touching service code.
 */

/** Calls and total milliseconds per method name. */
export type MethodTimes = Record<string, { calls: number; totalMs: number }>;

/**
 * Answers a view of `target` whose method calls are timed into `times` under `label.method`.
 * Methods still run on `target` itself, so classes with private fields keep working.
 */
export function timed<T extends object>(target: T, label: string, times: MethodTimes): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== "function" || typeof prop !== "string") return value;
      return (...args: unknown[]): unknown => {
        const began = performance.now();
        const record = (): void => {
          const entry = (times[`${label}.${prop}`] ??= { calls: 0, totalMs: 0 });
          entry.calls++;
          entry.totalMs += performance.now() - began;
        };
        const out: unknown = (value as (...a: unknown[]) => unknown).apply(obj, args);
        if (out instanceof Promise) return out.finally(record);
        record();
        return out;
      };
    },
  });
}

/** The `q` quantile (0..1) of `values` by nearest rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** Rounds to `digits` decimals, for readable JSON. */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
