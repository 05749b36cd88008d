import type { Database } from "../../../db/src/database.js";
import type { IndexedChain } from "../../../db/src/schema-chain-events.js";
import type { JsonLogger } from "../logger.js";
import type { ChainEventsRepository, NewChainEvent } from "./chain-events.repository.js";

/** How one chain is read: its head, its block hashes, and the decoded events of a block range. */
export interface ChainReader {
  readonly chain: IndexedChain;
  head(): Promise<number>;
  hashAt(block: number): Promise<string | null>;
  /**
   * Events of blocks `from..to`, and the hashes of the blocks it saw on the way (each event's
   * block hash must be among them or be what {@link hashAt} answers).
   */
  read(from: number, to: number): Promise<{ events: NewChainEvent[]; hashes: ReadonlyMap<number, string> }>;
}

export interface WindowOptions {
  /** Blocks at most this deep may still be replaced; their hashes are kept and re-checked. */
  readonly confirmations: number;
  /** Most blocks read in one pass (a cold start catches up in several). */
  readonly batchBlocks: number;
  /** First block ever read when there is no cursor yet. */
  readonly startBlock: number;
}

/** What one pass did. */
export interface PassResult {
  readonly chain: IndexedChain;
  readonly head: number;
  /** Blocks read, inclusive; absent when there was nothing new. */
  readonly range?: { from: number; to: number };
  readonly inserted: number;
  /** First block dropped because a reorganisation replaced it. */
  readonly rolledBackFrom?: number;
}

/**
 * One indexing pass over one chain: first checks the stored hashes of the unconfirmed window
 * against the chain (a mismatch drops everything from the first replaced block and moves the
 * cursor back), then reads the next range up to the head and stores its events, the window's
 * block hashes and the cursor in one transaction. Re-reading a block stores nothing twice.
 *
 * @throws whatever the chain or the database raises; nothing is stored by a failed pass.
 */
export async function indexPass(
  database: Database,
  repo: ChainEventsRepository,
  reader: ChainReader,
  opts: WindowOptions,
  logger: JsonLogger,
  now: () => Date,
): Promise<PassResult> {
  const { chain } = reader;
  const db = database.db;
  const head = await reader.head();
  let cursor = (await repo.cursor(db, chain))?.nextBlock ?? opts.startBlock;

  const rollbackFrom = await findReplaced(repo, reader, database, head, opts);
  if (rollbackFrom !== undefined) {
    const dropped = await db.transaction(async (tx) => {
      const n = await repo.rollback(tx, chain, rollbackFrom);
      await repo.setCursor(tx, chain, rollbackFrom, head, now());
      return n;
    });
    logger.emit("warn", "chain reorganisation: dropped indexed blocks", {
      chain,
      fromBlock: rollbackFrom,
      droppedEvents: dropped,
    });
    cursor = rollbackFrom;
  }
  if (cursor > head) {
    await repo.setCursor(db, chain, cursor, head, now());
    return {
      chain,
      head,
      inserted: 0,
      ...(rollbackFrom !== undefined ? { rolledBackFrom: rollbackFrom } : {}),
    };
  }
  const to = Math.min(head, cursor + opts.batchBlocks - 1);
  const { events, hashes } = await reader.read(cursor, to);
  const windowStart = Math.max(cursor, head - opts.confirmations);
  const blocks: { blockNumber: number; blockHash: string }[] = [];
  for (let n = windowStart; n <= to; n++) {
    const hash = hashes.get(n) ?? (await reader.hashAt(n));
    if (hash === null) throw new Error(`${chain} block ${n} vanished while it was read; retrying next pass`);
    blocks.push({ blockNumber: n, blockHash: hash });
  }
  // A log from a block that is not the one whose hash is stored was read across a reorg: retry.
  const stored = new Map(blocks.map((b) => [b.blockNumber, b.blockHash]));
  for (const e of events) {
    const expected = stored.get(e.blockNumber);
    if (expected !== undefined && expected !== e.blockHash) {
      throw new Error(`${chain} block ${e.blockNumber} changed while it was read; retrying next pass`);
    }
  }
  await db.transaction(async (tx) => {
    const at = now();
    await repo.insertEvents(tx, events, at);
    await repo.saveBlocks(tx, chain, blocks);
    await repo.pruneBlocks(tx, chain, head - opts.confirmations);
    await repo.setCursor(tx, chain, to + 1, head, at);
  });
  return {
    chain,
    head,
    range: { from: cursor, to },
    inserted: events.length,
    ...(rollbackFrom !== undefined ? { rolledBackFrom: rollbackFrom } : {}),
  };
}

/**
 * Walks the stored window from the newest block down; answers the first block to drop, or
 * undefined when the newest stored hash still matches (its ancestors then match too). When no
 * stored hash matches, the reorganisation is deeper than the window and everything is re-read.
 */
async function findReplaced(
  repo: ChainEventsRepository,
  reader: ChainReader,
  database: Database,
  head: number,
  opts: WindowOptions,
): Promise<number | undefined> {
  const recent = await repo.recentBlocks(database.db, reader.chain, opts.confirmations + 2);
  let replaced: number | undefined;
  for (const b of recent) {
    const hash = b.blockNumber <= head ? await reader.hashAt(b.blockNumber) : null;
    if (hash === b.blockHash) return replaced;
    replaced = b.blockNumber;
  }
  return replaced === undefined ? undefined : opts.startBlock;
}
