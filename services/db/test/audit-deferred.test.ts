/**
 * Deferred audit appends: rows queued during a transaction and written at its end, with the
 * chain's lock taken only then, still form one verifiable chain under concurrency.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { verifyAuditChain } from "../src/audit-chain.js";
import { rowsOf, type Database } from "../src/database.js";
import { AuditRepository } from "../src/repositories.js";
import { ENGINES } from "./targets.js";

const audit = new AuditRepository();

for (const engine of ENGINES) {
  describe(`deferred audit appends on ${engine.name}`, { skip: engine.skip }, () => {
    let database: Database;
    let dispose: () => Promise<void>;

    before(async () => {
      ({ database, dispose } = await engine.open());
      await database.exec("create table deferred_fused (id int primary key, note text)");
    });
    after(async () => dispose?.());

    it("writes queued rows in order at flush, fills the returned rows, and runs the fused write", async () => {
      const rows = await database.db.transaction(async (tx) => {
        audit.defer(tx);
        const first = await audit.append(tx, { actor: "t", action: "one", payload: { n: 1 } }, new Date());
        const second = await audit.append(tx, { actor: "t", action: "two", payload: { n: [2] } }, new Date());
        assert.equal(first.hash, "", "nothing is written before the flush");
        const before = rowsOf<{ n: number }>(await tx.execute(sql`select count(*)::int as n from audit_log`));
        assert.equal(before[0]!.n, 0);
        await audit.flush(tx, sql`insert into deferred_fused (id, note) values (${1}, ${"fused"})`);
        return [first, second];
      });
      const stored = await audit.all(database.db);
      assert.deepEqual(
        stored.map((r) => [r.seq, r.action, r.hash]),
        rows.map((r) => [r.seq, r.action, r.hash]),
      );
      assert.deepEqual(
        stored.map((r) => r.seq),
        [1, 2],
      );
      assert.equal(verifyAuditChain(stored).ok, true);
      const fused = rowsOf<{ note: string }>(await database.db.execute(sql`select note from deferred_fused`));
      assert.deepEqual(fused, [{ note: "fused" }]);
    });

    it("runs only the fused write when nothing was queued, and nothing of a rolled-back transaction", async () => {
      await database.db.transaction(async (tx) => {
        audit.defer(tx);
        await audit.flush(tx, sql`insert into deferred_fused (id, note) values (${2}, ${"alone"})`);
      });
      await assert.rejects(
        database.db.transaction(async (tx) => {
          audit.defer(tx);
          await audit.append(tx, { actor: "t", action: "lost", payload: null }, new Date());
          throw new Error("the write failed");
        }),
        /the write failed/,
      );
      const stored = await audit.all(database.db);
      assert.equal(stored.length, 2);
      assert.ok(!stored.some((r) => r.action === "lost"));
    });

    it("keeps one chain when deferred and immediate appends race", async () => {
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          database.db.transaction(async (tx) => {
            if (i % 2 === 0) audit.defer(tx);
            await audit.append(tx, { actor: "race", action: `a${i}`, payload: { i } }, new Date());
            await audit.append(tx, { actor: "race", action: `b${i}`, payload: { i } }, new Date());
            if (i % 2 === 0) await audit.flush(tx);
          }),
        ),
      );
      const stored = await audit.all(database.db);
      assert.equal(stored.length, 2 + 24);
      assert.equal(verifyAuditChain(stored).ok, true);
    });
  });
}
