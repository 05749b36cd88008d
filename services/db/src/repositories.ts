/**
 * Repositories: the only code that speaks SQL. Each method takes the executor to run on (the
 * database or an open transaction) so a service composes several writes into one transaction.
 */
import { asc, eq, and, gt, sql, type SQL } from "drizzle-orm";
import type { JsonValue } from "../../shared/src/canonical-json.js";
import { auditHashTemplate, type AuditRow } from "./audit-chain.js";
import { rowsOf, type Executor } from "./database.js";
import {
  apiKeys,
  auditLog,
  customers,
  idempotencyRecords,
  operations,
  evmNonces,
  evmOutbox,
  governanceProxies,
  stakingContracts,
  tezosOutbox,
  type ApiKeyRole,
  type Chain,
  type OperationStatus,
} from "./schema.js";

export type CustomerRow = typeof customers.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type OperationRow = typeof operations.$inferSelect;
export type IdempotencyRow = typeof idempotencyRecords.$inferSelect;

export class CustomersRepository {
  async insert(ex: Executor, row: CustomerRow): Promise<void> {
    await ex.insert(customers).values(row);
  }

  async findById(ex: Executor, id: string): Promise<CustomerRow | undefined> {
    const rows = await ex.select().from(customers).where(eq(customers.id, id)).limit(1);
    return rows[0];
  }

  /** Customers ordered by creation, then id; `after` is the id of the last row of the previous page. */
  async list(ex: Executor, limit: number, after?: CustomerRow): Promise<CustomerRow[]> {
    const query = ex.select().from(customers);
    const filtered = after
      ? query.where(
          sql`(${customers.createdAt}, ${customers.id}) > (${after.createdAt.toISOString()}::timestamptz, ${after.id}::uuid)`,
        )
      : query;
    return filtered.orderBy(asc(customers.createdAt), asc(customers.id)).limit(limit);
  }

  async count(ex: Executor): Promise<number> {
    const rows = await ex.select({ n: sql<number>`count(*)::int` }).from(customers);
    return rows[0]?.n ?? 0;
  }
}

export class ApiKeysRepository {
  async insert(ex: Executor, row: ApiKeyRow): Promise<void> {
    await ex.insert(apiKeys).values(row);
  }

  async findById(ex: Executor, id: string): Promise<ApiKeyRow | undefined> {
    const rows = await ex.select().from(apiKeys).where(eq(apiKeys.id, id)).limit(1);
    return rows[0];
  }

  async countActive(ex: Executor, role: ApiKeyRole): Promise<number> {
    const rows = await ex
      .select({ n: sql<number>`count(*)::int` })
      .from(apiKeys)
      .where(and(eq(apiKeys.role, role), sql`${apiKeys.revokedAt} is null`));
    return rows[0]?.n ?? 0;
  }

  async revoke(ex: Executor, id: string, at: Date): Promise<void> {
    await ex.update(apiKeys).set({ revokedAt: at }).where(eq(apiKeys.id, id));
  }
}

export interface NewOperation {
  readonly id: string;
  readonly customerId: string;
  readonly chain: Chain;
  readonly kind: string;
  readonly apiKeyId: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly at: Date;
}

export class OperationsRepository {
  /** Persists a new intent in status `queued` (the outbox row written before any signing). */
  async insertQueued(ex: Executor, op: NewOperation): Promise<OperationRow> {
    const row: OperationRow = {
      id: op.id,
      customerId: op.customerId,
      chain: op.chain,
      kind: op.kind,
      status: "queued",
      failureReason: null,
      apiKeyId: op.apiKeyId,
      idempotencyKey: op.idempotencyKey,
      requestHash: op.requestHash,
      txHash: null,
      createdAt: op.at,
      updatedAt: op.at,
    };
    await ex.insert(operations).values(row);
    return row;
  }

  async findById(ex: Executor, id: string): Promise<OperationRow | undefined> {
    const rows = await ex.select().from(operations).where(eq(operations.id, id)).limit(1);
    return rows[0];
  }

  async setStatus(
    ex: Executor,
    id: string,
    status: OperationStatus,
    at: Date,
    extra: { txHash?: string; failureReason?: string } = {},
  ): Promise<void> {
    await ex
      .update(operations)
      .set({
        status,
        updatedAt: at,
        failureReason: extra.failureReason ?? null,
        ...(extra.txHash ? { txHash: extra.txHash } : {}),
      })
      .where(eq(operations.id, id));
  }
}

export class IdempotencyRepository {
  async find(ex: Executor, apiKeyId: string, key: string): Promise<IdempotencyRow | undefined> {
    const rows = await ex
      .select()
      .from(idempotencyRecords)
      .where(and(eq(idempotencyRecords.apiKeyId, apiKeyId), eq(idempotencyRecords.key, key)))
      .limit(1);
    return rows[0];
  }

  /**
   * Claims a key for this transaction. Returns false if the key already exists; on PostgreSQL a
   * concurrent claim of the same key waits here until the first transaction ends.
   */
  async claim(ex: Executor, row: IdempotencyRow): Promise<boolean> {
    const inserted = await ex.execute(this.claimStatement(row));
    return rowsOf(inserted).length === 1;
  }

  /**
   * The statement {@link claim} runs, for fusing into another round trip: it answers one row
   * (`key`) when it claimed the key, none when the key exists. With the answer already in `row`,
   * it claims and stores in one write (see IdempotencyService.runClaimingLast).
   */
  claimStatement(row: IdempotencyRow): SQL {
    // Raw parameterised SQL on the accept path: the query builder cost more CPU than the query.
    return sql`
      insert into idempotency_records
        (api_key_id, key, request_hash, response_status, response_body, created_at)
      values (${row.apiKeyId}, ${row.key}, ${row.requestHash}, ${row.responseStatus},
        ${JSON.stringify(row.responseBody)}::jsonb, ${row.createdAt.toISOString()}::timestamptz)
      on conflict do nothing
      returning key`;
  }

  async saveResponse(
    ex: Executor,
    apiKeyId: string,
    key: string,
    status: number,
    body: JsonValue,
  ): Promise<void> {
    await ex.execute(this.saveResponseStatement(apiKeyId, key, status, body));
  }

  /** The statement {@link saveResponse} runs, for fusing into another round trip. */
  saveResponseStatement(apiKeyId: string, key: string, status: number, body: JsonValue): SQL {
    return sql`update idempotency_records set response_status = ${status},
      response_body = ${JSON.stringify(body)}::jsonb
      where api_key_id = ${apiKeyId} and key = ${key}`;
  }
}

export interface AuditEntry {
  readonly actor: string;
  readonly action: string;
  readonly payload: JsonValue;
}

interface PendingAppend {
  readonly entry: AuditEntry;
  readonly at: Date;
}

/** Rows appended in a deferring transaction, waiting for {@link AuditRepository.flush}. */
const deferredAppends = new WeakMap<object, (PendingAppend & { row: AuditRow })[]>();

export class AuditRepository {
  /**
   * Appends one row to the hash chain. Must run inside the transaction of the write it records.
   * The row waits in `audit_pending` and is chained when that transaction commits (migration
   * 0010): the returned object's `seq`, `prevHash` and `hash` stay unset (0, ""), as they are
   * only known then; read the row back after the commit for them.
   *
   * In a transaction passed to {@link defer}, the row is only queued until {@link flush}.
   */
  async append(ex: Executor, entry: AuditEntry, at: Date): Promise<AuditRow> {
    const row: AuditRow = { seq: 0, at, ...entry, prevHash: "", hash: "" };
    const pending = deferredAppends.get(ex);
    if (pending) {
      pending.push({ row, entry, at });
      return row;
    }
    await this.#stage(ex, [{ entry, at }]);
    return row;
  }

  /**
   * Queues this transaction's appends until {@link flush}, so they travel in one statement with
   * the transaction's last write. The caller must call `flush` before committing.
   */
  defer(tx: Executor): void {
    deferredAppends.set(tx, []);
  }

  /**
   * Writes the rows queued since {@link defer}, in order, in one statement; `fused`, a write of
   * the same transaction, runs in that same round trip. No lock is taken here: the rows are
   * chained at the commit.
   */
  async flush(tx: Executor, fused?: SQL): Promise<void> {
    const pending = deferredAppends.get(tx) ?? [];
    deferredAppends.delete(tx);
    if (pending.length === 0) {
      if (fused) await tx.execute(fused);
      return;
    }
    await this.#stage(tx, pending, fused);
  }

  /**
   * {@link flush}, on one condition: `guard`, a write of the same transaction that answers rows
   * (`insert … on conflict do nothing returning …`), runs in the same round trip, and the queued
   * rows are staged only if it answered at least one. Answers whether it did. When it did not,
   * nothing is staged, and the caller is expected to roll the transaction back.
   */
  async flushGuarded(tx: Executor, guard: SQL): Promise<boolean> {
    const pending = deferredAppends.get(tx) ?? [];
    deferredAppends.delete(tx);
    if (pending.length === 0) return rowsOf(await tx.execute(guard)).length > 0;
    const written = await this.#stage(tx, pending, guard, true);
    return written > 0;
  }

  /**
   * One multi-row insert into `audit_pending`, in order. Each row's canonical JSON is built here
   * around the two values only the chain knows (the previous hash and the seq); the commit-time
   * trigger (migration 0010) takes the chain's lock, reads the head and finishes each hash with
   * PostgreSQL's sha256, chaining the rows in the order they were inserted. verifyAuditChain
   * recomputes every hash in code from the stored rows. The rows travel as one JSON parameter,
   * so the statement's text is the same for any count.
   */
  async #stage(ex: Executor, items: readonly PendingAppend[], fused?: SQL, guarded = false): Promise<number> {
    const rows = items.map(({ entry, at }) => {
      const { head, middle, tail } = auditHashTemplate({ at, ...entry });
      return {
        head,
        middle,
        tail,
        at: at.toISOString(),
        actor: entry.actor,
        action: entry.action,
        payload: entry.payload,
      };
    });
    const result = await ex.execute(sql`
      with ${fused ? sql`fused as (${fused}), ` : sql``}items as (
        select e->>'head' as head, e->>'middle' as middle, e->>'tail' as tail,
          (e->>'at')::timestamptz as at, e->>'actor' as actor, e->>'action' as action,
          e->'payload' as payload, x.n
        from jsonb_array_elements(${JSON.stringify(rows)}::jsonb) with ordinality as x(e, n))
      insert into audit_pending (head, middle, tail, at, actor, action, payload)
      select head, middle, tail, at, actor, action, payload from items
      ${guarded ? sql`where exists (select 1 from fused) ` : sql``}order by n
      returning id`);
    const written = rowsOf<{ id: string | number }>(result).length;
    if (written !== items.length && !(guarded && written === 0)) {
      throw new Error(`audit append staged ${written} of ${items.length} rows`);
    }
    return written;
  }

  async page(ex: Executor, afterSeq: number, limit: number): Promise<AuditRow[]> {
    const rows = await ex
      .select()
      .from(auditLog)
      .where(gt(auditLog.seq, afterSeq))
      .orderBy(asc(auditLog.seq))
      .limit(limit);
    return rows.map((r) => ({ ...r, payload: r.payload as JsonValue }));
  }

  /** Every row in seq order (verification reads the whole chain). */
  async all(ex: Executor): Promise<AuditRow[]> {
    const rows = await ex.select().from(auditLog).orderBy(asc(auditLog.seq));
    return rows.map((r) => ({ ...r, payload: r.payload as JsonValue }));
  }
}

export type EvmOutboxRow = typeof evmOutbox.$inferSelect;
export type GovernanceProxyRow = typeof governanceProxies.$inferSelect;

export class GovernanceProxiesRepository {
  async insert(ex: Executor, row: GovernanceProxyRow): Promise<void> {
    await ex.insert(governanceProxies).values(row);
  }

  async findByCustomer(ex: Executor, customerId: string): Promise<GovernanceProxyRow | undefined> {
    const rows = await ex
      .select()
      .from(governanceProxies)
      .where(eq(governanceProxies.customerId, customerId))
      .limit(1);
    return rows[0];
  }

  /**
   * Whether the customer exists and its proxy, in one round trip (the accept path of every hot
   * action asks both).
   */
  async findWithCustomer(
    ex: Executor,
    customerId: string,
  ): Promise<{ customerExists: boolean; proxy: GovernanceProxyRow | undefined }> {
    const rows = rowsOf<{
      customer_id: string | null;
      proxy_address: string | null;
      factory_address: string;
      cold_address: string;
      hot_address: string;
      salt: string;
      operation_id: string;
      created_at: string | Date;
    }>(
      await ex.execute(sql`
        select p.customer_id, p.proxy_address, p.factory_address, p.cold_address, p.hot_address,
          p.salt, p.operation_id, p.created_at
        from customers c left join governance_proxies p on p.customer_id = c.id
        where c.id = ${customerId}
        limit 1`),
    );
    const r = rows[0];
    if (r === undefined) return { customerExists: false, proxy: undefined };
    if (r.customer_id === null || r.proxy_address === null) return { customerExists: true, proxy: undefined };
    return {
      customerExists: true,
      proxy: {
        customerId: r.customer_id,
        proxyAddress: r.proxy_address,
        factoryAddress: r.factory_address,
        coldAddress: r.cold_address,
        hotAddress: r.hot_address,
        salt: r.salt,
        operationId: r.operation_id,
        createdAt: new Date(r.created_at),
      },
    };
  }
}

/** The EVM call a new operation queues (its outbox row before any nonce, lease or signature). */
export interface NewEvmCall {
  readonly fromAddress: string;
  readonly toAddress: string;
  readonly data: string;
  readonly intent: JsonValue;
}

export class EvmOutboxRepository {
  async insert(ex: Executor, row: EvmOutboxRow): Promise<void> {
    await ex.insert(evmOutbox).values(row);
  }

  /**
   * Writes a new `queued` operation and its outbox row in one statement (one round trip on the
   * accept path); the same rows as {@link OperationsRepository.insertQueued} then {@link insert}.
   */
  async insertWithOperation(ex: Executor, op: NewOperation, call: NewEvmCall): Promise<void> {
    const at = op.at.toISOString();
    await ex.execute(sql`
      with op as (
        insert into operations (id, customer_id, chain, kind, status, failure_reason, api_key_id,
          idempotency_key, request_hash, tx_hash, created_at, updated_at)
        values (${op.id}, ${op.customerId}, ${op.chain}, ${op.kind}, 'queued', null, ${op.apiKeyId},
          ${op.idempotencyKey}, ${op.requestHash}, null, ${at}::timestamptz, ${at}::timestamptz)
        returning id)
      insert into evm_outbox (operation_id, from_address, to_address, data, intent, nonce, raw_tx,
        lease_owner, lease_until, attempts)
      select op.id, ${call.fromAddress}, ${call.toAddress}, ${call.data}, ${JSON.stringify(call.intent)}::jsonb,
        null, null, null, null, 0
      from op`);
  }

  async findById(ex: Executor, operationId: string): Promise<EvmOutboxRow | undefined> {
    const rows = await ex.select().from(evmOutbox).where(eq(evmOutbox.operationId, operationId)).limit(1);
    return rows[0];
  }

  /**
   * Leases the oldest unfinished operation whose lease is free or expired, atomically: the inner
   * `FOR UPDATE SKIP LOCKED` makes concurrent claimers on PostgreSQL pick different rows, and the
   * lease keeps a claimed row away from other workers after the statement's transaction ends.
   * A queued row is claimable only when it is the oldest queued row of its sending address, so
   * nonces are handed out, and transactions signed, in the order the intents were accepted even
   * with several workers.
   */
  async claim(ex: Executor, owner: string, now: Date, leaseMs: number): Promise<string | undefined> {
    const result = await ex.execute(this.claimStatement(owner, now, leaseMs));
    return rowsOf<{ operation_id: string }>(result)[0]?.operation_id;
  }

  /**
   * The statement {@link claim} runs (exposed so tests can read its plan). It walks the partial
   * index of unfinished operations (migration 0009) in order and stops at the first claimable row,
   * so its cost does not grow with the history of finished ones.
   */
  claimStatement(owner: string, now: Date, leaseMs: number): SQL {
    const until = new Date(now.getTime() + leaseMs);
    return sql`
      update evm_outbox set lease_owner = ${owner}, lease_until = ${until.toISOString()}::timestamptz,
        attempts = attempts + 1
      where operation_id = (
        select x.operation_id from evm_outbox x join operations o on o.id = x.operation_id
        where o.status in ('queued', 'signed', 'broadcast')
          and (x.lease_until is null or x.lease_until < ${now.toISOString()}::timestamptz)
          and (o.status <> 'queued' or not exists (
            select 1 from evm_outbox y join operations p on p.id = y.operation_id
            where y.from_address = x.from_address and p.status = 'queued'
              and (p.created_at, p.id) < (o.created_at, o.id)))
        order by o.created_at, o.id
        limit 1
        for update of x skip locked)
      returning operation_id`;
  }

  /** Ends this owner's lease; `retryAt` keeps the row away until then (backoff). */
  async release(ex: Executor, operationId: string, owner: string, retryAt: Date | null): Promise<void> {
    await ex
      .update(evmOutbox)
      .set({ leaseOwner: null, leaseUntil: retryAt })
      .where(and(eq(evmOutbox.operationId, operationId), eq(evmOutbox.leaseOwner, owner)));
  }

  async setNonce(ex: Executor, operationId: string, nonce: bigint | null): Promise<void> {
    await ex.update(evmOutbox).set({ nonce }).where(eq(evmOutbox.operationId, operationId));
  }

  async setRawTx(ex: Executor, operationId: string, rawTx: string): Promise<void> {
    await ex.update(evmOutbox).set({ rawTx }).where(eq(evmOutbox.operationId, operationId));
  }
}

export class EvmNoncesRepository {
  /**
   * Hands out the next nonce of `address`, seeding the counter with `chainNonce` the first time.
   * Run it in the transaction that stores the nonce on its operation, so a rollback returns it.
   */
  async allocate(ex: Executor, address: string, chainNonce: bigint): Promise<bigint> {
    await ex.insert(evmNonces).values({ address, nextNonce: chainNonce }).onConflictDoNothing();
    const rows = await ex
      .update(evmNonces)
      .set({ nextNonce: sql`${evmNonces.nextNonce} + 1` })
      .where(eq(evmNonces.address, address))
      .returning({ next: evmNonces.nextNonce });
    return BigInt(rows[0]!.next) - 1n;
  }

  /** Gives `nonce` back only if it is the last one handed out (otherwise a gap would open). */
  async releaseIfLast(ex: Executor, address: string, nonce: bigint): Promise<boolean> {
    const rows = await ex
      .update(evmNonces)
      .set({ nextNonce: nonce })
      .where(and(eq(evmNonces.address, address), eq(evmNonces.nextNonce, nonce + 1n)))
      .returning({ next: evmNonces.nextNonce });
    return rows.length === 1;
  }

  async peek(ex: Executor, address: string): Promise<bigint | undefined> {
    const rows = await ex.select().from(evmNonces).where(eq(evmNonces.address, address)).limit(1);
    return rows[0] === undefined ? undefined : BigInt(rows[0].nextNonce);
  }
}

export type TezosOutboxRow = typeof tezosOutbox.$inferSelect;
export type StakingContractRow = typeof stakingContracts.$inferSelect;

export class StakingContractsRepository {
  async insert(ex: Executor, row: StakingContractRow): Promise<void> {
    await ex.insert(stakingContracts).values(row);
  }

  async findByCustomer(ex: Executor, customerId: string): Promise<StakingContractRow | undefined> {
    const rows = await ex
      .select()
      .from(stakingContracts)
      .where(eq(stakingContracts.customerId, customerId))
      .limit(1);
    return rows[0];
  }

  async findByOperation(ex: Executor, operationId: string): Promise<StakingContractRow | undefined> {
    const rows = await ex
      .select()
      .from(stakingContracts)
      .where(eq(stakingContracts.operationId, operationId))
      .limit(1);
    return rows[0];
  }

  async setAddress(ex: Executor, customerId: string, contractAddress: string): Promise<void> {
    await ex
      .update(stakingContracts)
      .set({ contractAddress })
      .where(eq(stakingContracts.customerId, customerId));
  }

  /** Forgets a contract whose origination failed, so the customer may originate again. */
  async deleteByOperation(ex: Executor, operationId: string): Promise<void> {
    await ex.delete(stakingContracts).where(eq(stakingContracts.operationId, operationId));
  }
}

export class TezosOutboxRepository {
  async insert(ex: Executor, row: TezosOutboxRow): Promise<void> {
    await ex.insert(tezosOutbox).values(row);
  }

  async findById(ex: Executor, operationId: string): Promise<TezosOutboxRow | undefined> {
    const rows = await ex.select().from(tezosOutbox).where(eq(tezosOutbox.operationId, operationId)).limit(1);
    return rows[0];
  }

  /**
   * Leases the next unfinished Tezos operation, atomically (`FOR UPDATE SKIP LOCKED`). The hot
   * account's counter allows one operation in flight: a queued row is claimable only when no
   * other row is signed or broadcast, and only the oldest queued row, so operations are signed
   * in the order they were accepted.
   */
  async claim(ex: Executor, owner: string, now: Date, leaseMs: number): Promise<string | undefined> {
    const result = await ex.execute(this.claimStatement(owner, now, leaseMs));
    return rowsOf<{ operation_id: string }>(result)[0]?.operation_id;
  }

  /** The statement {@link claim} runs (exposed so tests can read its plan; see the EVM one). */
  claimStatement(owner: string, now: Date, leaseMs: number): SQL {
    const until = new Date(now.getTime() + leaseMs);
    return sql`
      update tezos_outbox set lease_owner = ${owner}, lease_until = ${until.toISOString()}::timestamptz,
        attempts = attempts + 1
      where operation_id = (
        select x.operation_id from tezos_outbox x join operations o on o.id = x.operation_id
        where o.status in ('queued', 'signed', 'broadcast')
          and (x.lease_until is null or x.lease_until < ${now.toISOString()}::timestamptz)
          and (o.status <> 'queued' or not exists (
            select 1 from tezos_outbox y join operations p on p.id = y.operation_id
            where p.id <> o.id and p.status in ('queued', 'signed', 'broadcast')
              and (p.status <> 'queued' or (p.created_at, p.id) < (o.created_at, o.id))))
        order by o.created_at, o.id
        limit 1
        for update of x skip locked)
      returning operation_id`;
  }

  /** Ends this owner's lease; `retryAt` keeps the row away until then (backoff). */
  async release(ex: Executor, operationId: string, owner: string, retryAt: Date | null): Promise<void> {
    await ex
      .update(tezosOutbox)
      .set({ leaseOwner: null, leaseUntil: retryAt })
      .where(and(eq(tezosOutbox.operationId, operationId), eq(tezosOutbox.leaseOwner, owner)));
  }

  async setSigned(
    ex: Executor,
    operationId: string,
    signed: { forgedBytes: string; signature: string; signedAtLevel: number },
  ): Promise<void> {
    await ex.update(tezosOutbox).set(signed).where(eq(tezosOutbox.operationId, operationId));
  }
}
