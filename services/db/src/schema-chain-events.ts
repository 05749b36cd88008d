/**
 * What the chain indexer stores: events read from the chains (EVM logs of our factory and its
 * proxies, Tezos operations on our delegation contracts), one cursor per chain, and the hashes of
 * the recent blocks it read so a reorganisation of unconfirmed blocks is noticed and re-read.
 * Nothing here references other tables: events are chain facts, whoever sent the transaction.
 */
import { sql } from "drizzle-orm";
import {
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

export const INDEXED_CHAINS = ["evm", "tezos"] as const;
export type IndexedChain = (typeof INDEXED_CHAINS)[number];

/**
 * One decoded event. `subject` is the customer contract it is about (the proxy of a
 * `ProxyCreated`, the emitting proxy, the KT1 of a Tezos operation), so a customer's events are
 * one indexed lookup. The same event read twice (restart, overlapping poll) is one row.
 */
export const chainEvents = pgTable(
  "chain_events",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    chain: text("chain").$type<IndexedChain>().notNull(),
    blockNumber: integer("block_number").notNull(),
    blockHash: text("block_hash").notNull(),
    txHash: text("tx_hash").notNull(),
    logIndex: integer("log_index").notNull(),
    contract: text("contract").notNull(),
    subject: text("subject").notNull(),
    name: text("name").notNull(),
    args: jsonb("args").notNull(),
    indexedAt: timestamp("indexed_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [
    uniqueIndex("chain_events_identity_unique").on(t.chain, t.blockHash, t.txHash, t.logIndex),
    index("chain_events_subject_idx").on(t.chain, t.subject, t.blockNumber),
    check("chain_events_chain_check", sql`${t.chain} in ('evm', 'tezos')`),
  ],
);

/** Per chain: the next block to read and the head seen by the last pass. */
export const chainCursors = pgTable(
  "chain_cursors",
  {
    chain: text("chain").$type<IndexedChain>().primaryKey(),
    nextBlock: integer("next_block").notNull(),
    headSeen: integer("head_seen").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [check("chain_cursors_chain_check", sql`${t.chain} in ('evm', 'tezos')`)],
);

/** Hashes of the blocks read within the confirmation window (older ones are pruned). */
export const chainBlocks = pgTable(
  "chain_blocks",
  {
    chain: text("chain").$type<IndexedChain>().notNull(),
    blockNumber: integer("block_number").notNull(),
    blockHash: text("block_hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.chain, t.blockNumber] })],
);

export const chainEventsSchema = { chainEvents, chainCursors, chainBlocks };
