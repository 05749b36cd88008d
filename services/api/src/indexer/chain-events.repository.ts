import { and, asc, desc, eq, gt, gte, lt, or, sql } from "drizzle-orm";
import type { Executor } from "../../../db/src/database.js";
import {
  chainBlocks,
  chainCursors,
  chainEvents,
  type IndexedChain,
} from "../../../db/src/schema-chain-events.js";
import type { JsonValue } from "../../../shared/src/canonical-json.js";

/** An event as decoded by an indexer, before it has a row. */
export interface NewChainEvent {
  readonly chain: IndexedChain;
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly txHash: string;
  readonly logIndex: number;
  readonly contract: string;
  readonly subject: string;
  readonly name: string;
  readonly args: Record<string, JsonValue>;
}

export type ChainEventRow = typeof chainEvents.$inferSelect;
export type ChainCursorRow = typeof chainCursors.$inferSelect;

/** Reads and writes of the indexer's three tables. Every write is idempotent. */
export class ChainEventsRepository {
  async cursor(ex: Executor, chain: IndexedChain): Promise<ChainCursorRow | undefined> {
    const [row] = await ex.select().from(chainCursors).where(eq(chainCursors.chain, chain));
    return row;
  }

  async setCursor(
    ex: Executor,
    chain: IndexedChain,
    nextBlock: number,
    headSeen: number,
    at: Date,
  ): Promise<void> {
    await ex
      .insert(chainCursors)
      .values({ chain, nextBlock, headSeen, updatedAt: at })
      .onConflictDoUpdate({ target: chainCursors.chain, set: { nextBlock, headSeen, updatedAt: at } });
  }

  /** The newest stored block hashes, newest first. */
  async recentBlocks(
    ex: Executor,
    chain: IndexedChain,
    limit: number,
  ): Promise<{ blockNumber: number; blockHash: string }[]> {
    return ex
      .select({ blockNumber: chainBlocks.blockNumber, blockHash: chainBlocks.blockHash })
      .from(chainBlocks)
      .where(eq(chainBlocks.chain, chain))
      .orderBy(desc(chainBlocks.blockNumber))
      .limit(limit);
  }

  async saveBlocks(
    ex: Executor,
    chain: IndexedChain,
    blocks: readonly { blockNumber: number; blockHash: string }[],
  ): Promise<void> {
    if (blocks.length === 0) return;
    await ex
      .insert(chainBlocks)
      .values(blocks.map((b) => ({ chain, ...b })))
      .onConflictDoUpdate({
        target: [chainBlocks.chain, chainBlocks.blockNumber],
        set: { blockHash: sql`excluded.block_hash` },
      });
  }

  /** Forgets stored block hashes below `blockNumber` (outside the confirmation window). */
  async pruneBlocks(ex: Executor, chain: IndexedChain, belowBlock: number): Promise<void> {
    await ex
      .delete(chainBlocks)
      .where(and(eq(chainBlocks.chain, chain), lt(chainBlocks.blockNumber, belowBlock)));
  }

  /** Drops everything read from `fromBlock` on (a reorganisation replaced those blocks). */
  async rollback(ex: Executor, chain: IndexedChain, fromBlock: number): Promise<number> {
    const dropped = await ex
      .delete(chainEvents)
      .where(and(eq(chainEvents.chain, chain), gte(chainEvents.blockNumber, fromBlock)))
      .returning({ seq: chainEvents.seq });
    await ex
      .delete(chainBlocks)
      .where(and(eq(chainBlocks.chain, chain), gte(chainBlocks.blockNumber, fromBlock)));
    return dropped.length;
  }

  /** Inserts events; one already stored (same chain, block hash, tx hash, log index) is skipped. */
  async insertEvents(ex: Executor, events: readonly NewChainEvent[], at: Date): Promise<void> {
    if (events.length === 0) return;
    await ex
      .insert(chainEvents)
      .values(events.map((e) => ({ ...e, indexedAt: at })))
      .onConflictDoNothing({
        target: [chainEvents.chain, chainEvents.blockHash, chainEvents.txHash, chainEvents.logIndex],
      });
  }

  /** Distinct subjects of events named `name` (e.g. every proxy a `ProxyCreated` announced). */
  async subjectsOf(ex: Executor, chain: IndexedChain, name: string): Promise<string[]> {
    const rows = await ex
      .selectDistinct({ subject: chainEvents.subject })
      .from(chainEvents)
      .where(and(eq(chainEvents.chain, chain), eq(chainEvents.name, name)));
    return rows.map((r) => r.subject);
  }

  /** Events about any of `subjects`, oldest first, after sequence number `afterSeq`. */
  async eventsOf(
    ex: Executor,
    subjects: readonly { chain: IndexedChain; subject: string }[],
    afterSeq: number,
    limit: number,
  ): Promise<ChainEventRow[]> {
    if (subjects.length === 0) return [];
    const matches = subjects.map((s) =>
      and(eq(chainEvents.chain, s.chain), eq(chainEvents.subject, s.subject)),
    );
    return ex
      .select()
      .from(chainEvents)
      .where(and(gt(chainEvents.seq, afterSeq), or(...matches)))
      .orderBy(asc(chainEvents.seq))
      .limit(limit);
  }

  /** Counts per chain (tests and diagnostics). */
  async countByChain(ex: Executor, chain: IndexedChain): Promise<number> {
    return ex.$count(chainEvents, eq(chainEvents.chain, chain));
  }
}
