/**
 * Rolling-window counters over past intents, so velocity checks stay pure and cheap: one binary
 * search per limit instead of a scan of the history.
 */
import { IntentValidationError } from "./errors.js";
import type { Action, Intent } from "./schema.js";
import { validateIntent } from "./validate.js";

/** Count and summed amount of past intents inside a window. */
export interface WindowTotals {
  readonly count: number;
  readonly amount: bigint;
}

interface Series {
  times: number[];
  /** prefix[i] = sum of the amounts of the first i entries (so prefix has times.length + 1). */
  prefix: bigint[];
}

/** Velocity series key: limits apply per customer, action, chain and asset. */
export function seriesKey(customer: string, action: Action, chain: string, asset: string): string {
  return `${customer}\u0000${action}\u0000${chain}\u0000${asset}`;
}

/**
 * Past intents grouped per (customer, action, chain, asset), sorted by time, with prefix sums of
 * amounts. Feed it the intents that were allowed or approved (not the denied ones) and never the
 * intent being evaluated.
 */
export class VelocityIndex {
  readonly #series = new Map<string, Series>();
  #size = 0;

  /**
   * Builds an index from past intents (validated like intents).
   *
   * @throws {IntentValidationError} naming the first bad entry as `history[i].field`.
   */
  static from(history: Iterable<unknown>): VelocityIndex {
    const index = new VelocityIndex();
    let i = 0;
    for (const entry of history) {
      index.add(entry, `history[${i}]`);
      i++;
    }
    return index;
  }

  /** Number of intents recorded. */
  get size(): number {
    return this.#size;
  }

  /**
   * Records one past intent. Appending in time order is O(1); an out-of-order entry costs a
   * rebuild of its series' prefix sums.
   *
   * @throws {IntentValidationError} if the entry is not a valid intent.
   */
  add(entry: unknown, label = "history"): void {
    let intent: Intent;
    try {
      intent = validateIntent(entry);
    } catch (err) {
      if (err instanceof IntentValidationError && err.path !== undefined) {
        throw new IntentValidationError(`${label}.${err.path}`, err.message.replace(/^[^:]*: /, ""));
      }
      throw err;
    }
    const key = seriesKey(intent.customer, intent.action, intent.chain, intent.asset);
    const time = Date.parse(intent.at);
    const amount = intent.amount === undefined ? 0n : BigInt(intent.amount);
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { times: [], prefix: [0n] };
      this.#series.set(key, series);
    }
    const last = series.times[series.times.length - 1];
    if (last === undefined || last <= time) {
      series.times.push(time);
      series.prefix.push((series.prefix[series.prefix.length - 1] ?? 0n) + amount);
    } else {
      const at = upperBound(series.times, time);
      const amounts = series.times.map((_, i) => (series.prefix[i + 1] ?? 0n) - (series.prefix[i] ?? 0n));
      series.times.splice(at, 0, time);
      amounts.splice(at, 0, amount);
      series.prefix = [0n];
      let sum = 0n;
      for (const a of amounts) series.prefix.push((sum += a));
    }
    this.#size++;
  }

  /**
   * Totals of recorded intents of one series with `startMs < time <= endMs` (a rolling window
   * open at its start, closed at its end).
   */
  totals(key: string, startMs: number, endMs: number): WindowTotals {
    const series = this.#series.get(key);
    if (series === undefined) return { count: 0, amount: 0n };
    const lo = upperBound(series.times, startMs);
    const hi = upperBound(series.times, endMs);
    if (hi <= lo) return { count: 0, amount: 0n };
    return { count: hi - lo, amount: (series.prefix[hi] ?? 0n) - (series.prefix[lo] ?? 0n) };
  }
}

/** First index whose value is greater than `x` in an ascending array. */
function upperBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] ?? Infinity) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
