/**
 * The outbox claims must not grow with the history: each walks the partial index of unfinished
 * operations (migration 0009) and never reads the finished ones. Before it, a claim scanned every
 * operation ever accepted once per queued row, 117 ms with 2,000 finished and 600 queued. Checked
 * on the plan, with enough finished rows that a scan would be the planner's choice without it,
 * and on what the claims answer.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "../src/database.js";
import { EvmOutboxRepository, TezosOutboxRepository } from "../src/repositories.js";
import { ENGINES } from "./targets.js";

const FINISHED = 3000;
const QUEUED = 40;
const HOT = "0x" + "ab".repeat(20);

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

for (const engine of ENGINES) {
  describe(`outbox claims on ${engine.name}`, { skip: engine.skip }, () => {
    let database: Database;
    let dispose: () => Promise<void>;
    const queuedEvm: string[] = [];
    const queuedTezos: string[] = [];

    before(async () => {
      ({ database, dispose } = await engine.open());
      const customer = randomUUID();
      const key = randomUUID();
      await database.db.execute(sql`insert into customers values (${customer}, 'c', ${HOT}, 'tz1', now())`);
      await database.db.execute(
        sql`insert into api_keys values (${key}, 'k', 'operator', 's', 'h', now(), null)`,
      );
      let at = Date.parse("2026-01-01T00:00:00Z");
      const add = async (chain: "evm" | "tezos", status: string, n: number): Promise<string[]> => {
        const ids = Array.from({ length: n }, () => randomUUID());
        const values = ids.map((id) => {
          const when = new Date(at++).toISOString();
          return sql`(${id}, ${customer}, ${chain}, 'test', ${status}, ${key}, ${id}, 'h', ${when}::timestamptz, ${when}::timestamptz)`;
        });
        for (let i = 0; i < values.length; i += 500) {
          await database.db.execute(sql`insert into operations
            (id, customer_id, chain, kind, status, api_key_id, idempotency_key, request_hash, created_at, updated_at)
            values ${sql.join(values.slice(i, i + 500), sql`, `)}`);
          const slice = ids.slice(i, i + 500);
          if (chain === "evm")
            await database.db
              .execute(sql`insert into evm_outbox (operation_id, from_address, to_address, data, intent)
              values ${sql.join(
                slice.map((id) => sql`(${id}, ${HOT}, '0x01', '0x', '{}'::jsonb)`),
                sql`, `,
              )}`);
          else
            await database.db.execute(sql`insert into tezos_outbox (operation_id, intent)
              values ${sql.join(
                slice.map((id) => sql`(${id}, '{}'::jsonb)`),
                sql`, `,
              )}`);
        }
        return ids;
      };
      await add("evm", "confirmed", FINISHED);
      await add("tezos", "confirmed", FINISHED / 3);
      queuedEvm.push(...(await add("evm", "queued", QUEUED)));
      queuedTezos.push(...(await add("tezos", "queued", QUEUED)));
      await database.db.execute(sql`analyze`);
    });
    after(async () => dispose?.());

    for (const [name, repository] of [
      ["EVM", new EvmOutboxRepository()],
      ["Tezos", new TezosOutboxRepository()],
    ] as const) {
      it(`plans the ${name} claim on the unfinished index, never a scan of operations`, async () => {
        const statement = repository.claimStatement("plan-test", new Date(), 60_000);
        const [row] = rowsOf<{ "QUERY PLAN": unknown }>(
          await database.db.execute(sql`explain (format json) ${statement}`),
        );
        const raw = row!["QUERY PLAN"];
        const plan = (typeof raw === "string" ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
        const all = nodes(plan[0]!.Plan);
        const onOperations = all.filter((n) => n["Relation Name"] === "operations");
        assert.ok(onOperations.length > 0, "the plan reads operations");
        assert.deepEqual(
          onOperations.filter((n) => n["Node Type"] === "Seq Scan"),
          [],
          `no sequential scan of operations: ${JSON.stringify(all.map((n) => [n["Node Type"], n["Index Name"] ?? n["Relation Name"]]))}`,
        );
        assert.ok(onOperations.some((n) => n["Index Name"] === "operations_unfinished_idx"));
      });
    }

    it("still claims the oldest queued operation of each kind, one at a time", async () => {
      const now = new Date();
      const evm = new EvmOutboxRepository();
      const tezos = new TezosOutboxRepository();
      assert.equal(await evm.claim(database.db, "w1", now, 60_000), queuedEvm[0]);
      // The head is leased: nothing behind it on the same address is claimable.
      assert.equal(await evm.claim(database.db, "w2", now, 60_000), undefined);
      assert.equal(await tezos.claim(database.db, "w1", now, 60_000), queuedTezos[0]);
      assert.equal(await tezos.claim(database.db, "w2", now, 60_000), undefined);
    });
  });
}
