/**
 * The indexing pass against a scripted chain (blocks whose hashes the test rewrites), on PGlite:
 * catching up in batches, a reorganisation inside the window, one deeper than the window, and a
 * block that changes while it is read.
 */
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Database } from "../../../db/src/database.js";
import { openMigratedPglite } from "../../../db/test/targets.js";
import { indexPass, type ChainReader } from "../../src/indexer/block-window.js";
import { ChainEventsRepository, type NewChainEvent } from "../../src/indexer/chain-events.repository.js";
import { JsonLogger } from "../../src/logger.js";

/** A chain of blocks `0..head`; block n carries one event; `fork` re-hashes blocks from a height. */
class ScriptedChain implements ChainReader {
  readonly chain = "evm" as const;
  hashes: string[] = [];
  /** When set, `read` answers events of this hash for the block (as if it changed mid-read). */
  staleRead: { block: number; hash: string } | undefined;

  constructor(length: number) {
    for (let n = 0; n < length; n++) this.hashes.push(`0xa${n}`);
  }
  extend(count: number, tag: string): void {
    for (let i = 0; i < count; i++) this.hashes.push(`0x${tag}${this.hashes.length}`);
  }
  fork(from: number, tag: string): void {
    const length = this.hashes.length;
    this.hashes.length = from;
    this.extend(length - from, tag);
  }
  async head(): Promise<number> {
    return this.hashes.length - 1;
  }
  async hashAt(n: number): Promise<string | null> {
    return this.hashes[n] ?? null;
  }
  async read(from: number, to: number) {
    const events: NewChainEvent[] = [];
    for (let n = from; n <= to; n++) {
      const hash = this.staleRead?.block === n ? this.staleRead.hash : this.hashes[n]!;
      events.push({
        chain: "evm",
        blockNumber: n,
        blockHash: hash,
        txHash: `0xtx${n}`,
        logIndex: 0,
        contract: "0xC0",
        subject: "0xC0",
        name: "Locked",
        args: { wad: String(n) },
      });
    }
    return { events, hashes: new Map<number, string>() };
  }
}

describe("indexPass", () => {
  let database: Database;
  const repo = new ChainEventsRepository();
  const logs: string[] = [];
  const logger = new JsonLogger("info", (l) => logs.push(l));
  const opts = { confirmations: 3, batchBlocks: 4, startBlock: 0 };
  const pass = (chain: ScriptedChain) => indexPass(database, repo, chain, opts, logger, () => new Date());
  const stored = async () =>
    (await repo.eventsOf(database.db, [{ chain: "evm", subject: "0xC0" }], 0, 1000)).map(
      (e) => `${e.blockNumber}:${e.blockHash}`,
    );

  before(async () => {
    database = await openMigratedPglite();
  });
  after(async () => {
    await database.close();
  });
  beforeEach(async () => {
    await database.exec("delete from chain_events; delete from chain_blocks; delete from chain_cursors;");
  });

  it("catches up in batches and keeps only the window's hashes", async () => {
    const chain = new ScriptedChain(10);
    const first = await pass(chain);
    assert.deepEqual(first.range, { from: 0, to: 3 });
    await pass(chain);
    const last = await pass(chain);
    assert.deepEqual(last.range, { from: 8, to: 9 });
    assert.equal((await stored()).length, 10);
    const blocks = await repo.recentBlocks(database.db, "evm", 100);
    assert.deepEqual(
      blocks.map((b) => b.blockNumber),
      [9, 8, 7, 6],
    );
    assert.equal((await pass(chain)).range, undefined, "nothing new to read");
  });

  it("drops and re-reads blocks replaced inside the window", async () => {
    const chain = new ScriptedChain(10);
    for (let i = 0; i < 3; i++) await pass(chain);
    chain.fork(8, "b");
    chain.extend(1, "b");
    const result = await pass(chain);
    assert.equal(result.rolledBackFrom, 8);
    assert.deepEqual((await stored()).slice(-3), ["8:0xb8", "9:0xb9", "10:0xb10"]);
    assert.equal((await stored()).length, 11);
    assert.ok(logs.some((l) => l.includes("chain reorganisation")));
  });

  it("re-reads everything when the reorganisation is deeper than the window", async () => {
    const chain = new ScriptedChain(10);
    for (let i = 0; i < 3; i++) await pass(chain);
    chain.fork(2, "c");
    const results = [await pass(chain), await pass(chain), await pass(chain)];
    assert.equal(results[0]!.rolledBackFrom, 0);
    const rows = await stored();
    assert.equal(rows.length, 10);
    assert.deepEqual(rows.slice(2, 4), ["2:0xc2", "3:0xc3"]);
    assert.ok(
      rows.every((r) => !/^([2-9]):0xa/.test(r)),
      "no event of a replaced block survives",
    );
  });

  it("stores nothing from a pass that read a block while it changed", async () => {
    const chain = new ScriptedChain(3);
    chain.staleRead = { block: 2, hash: "0xold2" };
    await assert.rejects(pass(chain), /block 2 changed while it was read/);
    assert.deepEqual(await stored(), []);
    assert.equal(await repo.cursor(database.db, "evm"), undefined);
    chain.staleRead = undefined;
    await pass(chain);
    assert.equal((await stored()).length, 3);
  });
});
