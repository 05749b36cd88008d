/**
 * The worker's fee data is answered from memory while a background read refreshes it, so a run
 * never waits for the node for it unless the value is too old: fresh, stale-but-usable and too old
 * each behave as promised, concurrent callers share one read, and a failed read is not kept.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RefreshingValue } from "../src/outbox/refreshing-value.js";

/** A read the test answers by hand, counting how often it was started. */
function manualRead(): {
  read: () => Promise<number>;
  started: () => number;
  answer: (value: number) => void;
  fail: (error: Error) => void;
} {
  const waiting: { resolve: (v: number) => void; reject: (e: Error) => void }[] = [];
  let count = 0;
  return {
    read: () => {
      count++;
      return new Promise<number>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    started: () => count,
    answer: (value) => waiting.shift()!.resolve(value),
    fail: (error) => waiting.shift()!.reject(error),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A value fresh for 1 s and usable for 5 s, on a clock the test sets, with a hand-answered read. */
function rig(): { value: RefreshingValue<number>; r: ReturnType<typeof manualRead>; at(ms: number): void } {
  let now = 0;
  const r = manualRead();
  const value = new RefreshingValue(r.read, { freshMs: 1000, staleMs: 5000, now: () => now });
  return { value, r, at: (ms) => void (now = ms) };
}

/** {@link rig} with a first value already read. */
async function rigWith(first: number): Promise<ReturnType<typeof rig>> {
  const t = rig();
  const reading = t.value.get();
  t.r.answer(first);
  await reading;
  return t;
}

describe("RefreshingValue", () => {
  it("waits for the first read, then answers from memory while fresh", async () => {
    const { value, r, at } = rig();
    const first = value.get();
    const second = value.get();
    await tick();
    assert.equal(r.started(), 1, "concurrent callers share one read");
    r.answer(7);
    assert.deepEqual(await Promise.all([first, second]), [7, 7]);
    at(1000);
    assert.equal(await value.get(), 7);
    assert.equal(r.started(), 1);
  });

  it("answers a stale value at once and refreshes it in the background, once", async () => {
    const { value, r, at } = await rigWith(1);
    at(1500);
    assert.equal(await value.get(), 1, "stale but usable: no wait");
    assert.equal(await value.get(), 1);
    assert.equal(r.started(), 2, "one background read for both callers");
    r.answer(2);
    await tick();
    assert.equal(await value.get(), 2, "the refreshed value, stamped when its read started");
    assert.equal(r.started(), 2);
  });

  it("waits for a new read when the value is older than staleMs or invalidated", async () => {
    const { value, r, at } = await rigWith(1);
    at(5001);
    const late = value.get();
    let settled = false;
    void late.then(() => (settled = true));
    await tick();
    assert.equal(settled, false, "too old: the caller waits");
    r.answer(2);
    assert.equal(await late, 2);
    value.invalidate();
    const fresh = value.get();
    r.answer(3);
    assert.equal(await fresh, 3);
    assert.equal(r.started(), 3);
  });

  it("throws a failed read to a waiting caller, keeps nothing of it, and tries again next time", async () => {
    const { value, r, at } = rig();
    const first = value.get();
    r.fail(new Error("node down"));
    await assert.rejects(first, /node down/);
    const second = value.get();
    r.answer(4);
    assert.equal(await second, 4);
    // A failed background refresh leaves the stale value in use.
    at(2000);
    assert.equal(await value.get(), 4);
    r.fail(new Error("node down again"));
    await tick();
    assert.equal(await value.get(), 4);
    assert.equal(r.started(), 4, "the next caller past freshMs reads again");
    r.answer(5);
    await tick();
    assert.equal(await value.get(), 5);
  });

  it("refuses windows that make no sense", () => {
    assert.throws(
      () => new RefreshingValue(async () => 1, { freshMs: 10, staleMs: 5 }),
      /freshMs <= staleMs/,
    );
    assert.throws(
      () => new RefreshingValue(async () => 1, { freshMs: -1, staleMs: 5 }),
      /freshMs <= staleMs/,
    );
  });
});
