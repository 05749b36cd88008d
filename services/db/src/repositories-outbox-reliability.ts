/**
 * SQL of the outbox's reliability features: signed attempts (first signature and fee-bumped
 * replacements), the per-address signing lock and lease renewal.
 */
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Executor } from "./database.js";
import { evmNonces, evmOutbox, operations, tezosOutbox } from "./schema.js";
import { evmAttempts } from "./schema-outbox-reliability.js";

export type EvmAttemptRow = typeof evmAttempts.$inferSelect;
type EvmOutboxRow = typeof evmOutbox.$inferSelect;

export class EvmAttemptsRepository {
  async insert(ex: Executor, row: EvmAttemptRow): Promise<void> {
    await ex.insert(evmAttempts).values(row);
  }

  /** Every attempt of one operation, first signature first. */
  async listFor(ex: Executor, operationId: string): Promise<EvmAttemptRow[]> {
    return ex
      .select()
      .from(evmAttempts)
      .where(eq(evmAttempts.operationId, operationId))
      .orderBy(asc(evmAttempts.attempt));
  }

  /** Every attempt of several operations, by operation then attempt number. */
  async listForMany(ex: Executor, operationIds: readonly string[]): Promise<EvmAttemptRow[]> {
    if (operationIds.length === 0) return [];
    return ex
      .select()
      .from(evmAttempts)
      .where(inArray(evmAttempts.operationId, [...operationIds]))
      .orderBy(asc(evmAttempts.operationId), asc(evmAttempts.attempt));
  }

  /** Records that an attempt's bytes were handed to the node at `at`, with the head block then. */
  async markSent(ex: Executor, txHash: string, at: Date, block: number): Promise<void> {
    await ex.update(evmAttempts).set({ sentAt: at, sentBlock: block }).where(eq(evmAttempts.txHash, txHash));
  }
}

export class OutboxLocksRepository {
  /**
   * Locks the nonce counter of `address` until the transaction ends and answers the next nonce
   * (undefined when the address has no counter yet; nothing is locked then). Every signature of
   * the hot key is asked for while this lock is held, so signatures of one address never interleave
   * across service instances.
   */
  async lockNonce(ex: Executor, address: string): Promise<bigint | undefined> {
    const rows = await ex
      .select({ next: evmNonces.nextNonce })
      .from(evmNonces)
      .where(eq(evmNonces.address, address))
      .for("update");
    return rows[0] === undefined ? undefined : BigInt(rows[0].next);
  }

  /**
   * Hands out `count` consecutive nonces of an address whose counter exists (lock it first with
   * {@link lockNonce}); answers the first one.
   */
  async allocateRun(ex: Executor, address: string, count: number): Promise<bigint> {
    const rows = await ex
      .update(evmNonces)
      .set({ nextNonce: sql`${evmNonces.nextNonce} + ${count}` })
      .where(eq(evmNonces.address, address))
      .returning({ next: evmNonces.nextNonce });
    return BigInt(rows[0]!.next) - BigInt(count);
  }

  /** Creates the counter of `address` at `next` if it has none (the chain's pending count). */
  async seedNonce(ex: Executor, address: string, next: bigint): Promise<void> {
    await ex.insert(evmNonces).values({ address, nextNonce: next }).onConflictDoNothing();
  }

  /** Extends this owner's lease on an EVM outbox row; false when the lease was lost. */
  async renewEvmLease(ex: Executor, operationId: string, owner: string, until: Date): Promise<boolean> {
    const rows = await ex
      .update(evmOutbox)
      .set({ leaseUntil: until })
      .where(and(eq(evmOutbox.operationId, operationId), eq(evmOutbox.leaseOwner, owner)))
      .returning({ id: evmOutbox.operationId });
    return rows.length === 1;
  }

  /** Extends this owner's lease on a Tezos outbox row; false when the lease was lost. */
  async renewTezosLease(ex: Executor, operationId: string, owner: string, until: Date): Promise<boolean> {
    const rows = await ex
      .update(tezosOutbox)
      .set({ leaseUntil: until })
      .where(and(eq(tezosOutbox.operationId, operationId), eq(tezosOutbox.leaseOwner, owner)))
      .returning({ id: tezosOutbox.operationId });
    return rows.length === 1;
  }

  /**
   * The oldest queued operations of one sending address, in acceptance order (at most `limit`),
   * with their outbox rows. Read under {@link lockNonce} for a pipelined signing pass.
   */
  async queuedRun(ex: Executor, fromAddress: string, limit: number): Promise<EvmOutboxRow[]> {
    const rows = await ex
      .select({ outbox: evmOutbox })
      .from(evmOutbox)
      .innerJoin(operations, eq(operations.id, evmOutbox.operationId))
      .where(and(eq(evmOutbox.fromAddress, fromAddress), eq(operations.status, "queued")))
      .orderBy(asc(operations.createdAt), asc(operations.id))
      .limit(limit);
    return rows.map((r) => r.outbox);
  }

  /** Leases several EVM outbox rows to `owner` until `until` (null frees them). */
  async leaseMany(
    ex: Executor,
    operationIds: readonly string[],
    owner: string | null,
    until: Date | null,
  ): Promise<void> {
    if (operationIds.length === 0) return;
    await ex
      .update(evmOutbox)
      .set({ leaseOwner: owner, leaseUntil: until })
      .where(inArray(evmOutbox.operationId, [...operationIds]));
  }
}
