/**
 * Outbox reliability tables: every signed attempt of an EVM operation (the first signature and
 * each fee-bumped replacement at the same nonce), so whichever attempt the chain mines is the one
 * confirmed, and a stuck attempt is recognised from when and at which block it was last sent.
 */
import {
  bigint,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { operations } from "./schema.js";

export const evmAttempts = pgTable(
  "evm_attempts",
  {
    operationId: uuid("operation_id")
      .notNull()
      .references(() => operations.id),
    /** 1 for the first signature, then one more per replacement. */
    attempt: integer("attempt").notNull(),
    nonce: bigint("nonce", { mode: "bigint" }).notNull(),
    txHash: text("tx_hash").notNull(),
    rawTx: text("raw_tx").notNull(),
    maxFeePerGas: bigint("max_fee_per_gas", { mode: "bigint" }).notNull(),
    maxPriorityFeePerGas: bigint("max_priority_fee_per_gas", { mode: "bigint" }).notNull(),
    /** The worker that signed it (which service instance). */
    signedBy: text("signed_by").notNull(),
    signedAt: timestamp("signed_at", { withTimezone: true, mode: "date" }).notNull(),
    /** Last time the bytes were handed to the node, and the head block then; null before. */
    sentAt: timestamp("sent_at", { withTimezone: true, mode: "date" }),
    sentBlock: integer("sent_block"),
  },
  (t) => [
    primaryKey({ columns: [t.operationId, t.attempt] }),
    uniqueIndex("evm_attempts_tx_hash_unique").on(t.txHash),
    index("evm_attempts_nonce_idx").on(t.nonce),
  ],
);

export const outboxReliabilitySchema = { evmAttempts };
