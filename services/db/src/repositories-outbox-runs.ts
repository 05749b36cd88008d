/**
 * Writes of a whole pipelined run of EVM operations in one statement each, instead of one per
 * operation: the outbox worker signs, broadcasts and confirms runs of up to `pipelineDepth`
 * operations, and a statement per row per step made the database round trips, not the signer or
 * the chain, the limit of its throughput. Each method writes exactly what the per-row methods of
 * `repositories.ts` and `repositories-outbox-reliability.ts` would, for every item.
 */
import { sql, type SQL } from "drizzle-orm";
import { rowsOf, type Executor } from "./database.js";

/** One first signature of a run, as the worker records it. */
export interface SignedRunItem {
  readonly operationId: string;
  readonly nonce: bigint;
  readonly rawTx: string;
  readonly txHash: string;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

/** A confirmed operation of a run and the hash of the attempt that was mined. */
export interface ConfirmedRunItem {
  readonly operationId: string;
  readonly txHash: string;
}

const values = (rows: readonly SQL[]): SQL => sql.join([...rows], sql`, `);

export class OutboxRunsRepository {
  /**
   * Records first signatures: nonce and raw bytes on each outbox row, attempt 1, and status
   * `signed` with the hash; one round trip for the whole run.
   */
  async recordSigned(
    ex: Executor,
    items: readonly SignedRunItem[],
    signedBy: string,
    at: Date,
  ): Promise<void> {
    if (items.length === 0) return;
    const when = at.toISOString();
    const rows = values(
      items.map(
        (i) =>
          sql`(${i.operationId}::uuid, ${i.nonce.toString()}::bigint, ${i.rawTx}, ${i.txHash},
            ${i.maxFeePerGas.toString()}::bigint, ${i.maxPriorityFeePerGas.toString()}::bigint)`,
      ),
    );
    await ex.execute(sql`
      with v (id, nonce, raw, hash, max_fee, max_tip) as (values ${rows}),
      outbox as (
        update evm_outbox o set nonce = v.nonce, raw_tx = v.raw from v where o.operation_id = v.id
        returning o.operation_id),
      attempts as (
        insert into evm_attempts (operation_id, attempt, nonce, tx_hash, raw_tx, max_fee_per_gas,
          max_priority_fee_per_gas, signed_by, signed_at, sent_at, sent_block)
        select v.id, 1, v.nonce, v.hash, v.raw, v.max_fee, v.max_tip, ${signedBy},
          ${when}::timestamptz, null, null
        from v
        returning operation_id)
      update operations p set status = 'signed', updated_at = ${when}::timestamptz,
        failure_reason = null, tx_hash = v.hash
      from v where p.id = v.id`);
  }

  /**
   * Records that the attempts `hashes` of the operations `operationIds` (same order) were handed
   * to the node at `at` with head `block`: sent time on the attempts, status `broadcast`.
   */
  async recordBroadcast(
    ex: Executor,
    sent: readonly { operationId: string; txHash: string }[],
    at: Date,
    block: number,
  ): Promise<void> {
    if (sent.length === 0) return;
    const when = at.toISOString();
    const rows = values(sent.map((s) => sql`(${s.operationId}::uuid, ${s.txHash})`));
    await ex.execute(sql`
      with v (id, hash) as (values ${rows}),
      attempts as (
        update evm_attempts a set sent_at = ${when}::timestamptz, sent_block = ${block}
        from v where a.tx_hash = v.hash
        returning a.tx_hash)
      update operations p set status = 'broadcast', updated_at = ${when}::timestamptz,
        failure_reason = null, tx_hash = v.hash
      from v where p.id = v.id`);
  }

  /** Status `confirmed` with the mined attempt's hash, and every lease on those rows released. */
  async recordConfirmed(ex: Executor, items: readonly ConfirmedRunItem[], at: Date): Promise<void> {
    if (items.length === 0) return;
    const when = at.toISOString();
    const rows = values(items.map((c) => sql`(${c.operationId}::uuid, ${c.txHash})`));
    await ex.execute(sql`
      with v (id, hash) as (values ${rows}),
      leases as (
        update evm_outbox o set lease_owner = null, lease_until = null
        from v where o.operation_id = v.id
        returning o.operation_id)
      update operations p set status = 'confirmed', updated_at = ${when}::timestamptz,
        failure_reason = null, tx_hash = v.hash
      from v where p.id = v.id`);
  }

  /** The stored signed bytes of several operations (null where none), keyed by operation id. */
  async rawTxs(ex: Executor, operationIds: readonly string[]): Promise<Map<string, string | null>> {
    if (operationIds.length === 0) return new Map();
    const ids = values(operationIds.map((id) => sql`${id}::uuid`));
    const result = await ex.execute(
      sql`select operation_id, raw_tx from evm_outbox where operation_id in (${ids})`,
    );
    return new Map(
      rowsOf<{ operation_id: string; raw_tx: string | null }>(result).map((r) => [r.operation_id, r.raw_tx]),
    );
  }

  /** How many operations of `fromAddress` are signed or sent and not yet settled. */
  async inFlight(ex: Executor, fromAddress: string): Promise<number> {
    const result = await ex.execute(sql`
      select count(*)::int as n from evm_outbox x join operations o on o.id = x.operation_id
      where x.from_address = ${fromAddress} and o.status in ('signed', 'broadcast')`);
    return rowsOf<{ n: number }>(result)[0]?.n ?? 0;
  }
}
