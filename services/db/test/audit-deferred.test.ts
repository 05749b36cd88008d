/**
 * Deferred audit appends: rows queued during a transaction and written at its end, with the
 * chain's lock taken only then, still form one verifiable chain under concurrency.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import type { JsonValue } from "../../shared/src/canonical-json.js";
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

    it("writes a long batch in one statement, chained from the head, with awkward payloads", async () => {
      const before = await audit.all(database.db);
      const payloads: JsonValue[] = [
        { text: 'quote " backslash \\ newline \n tab \t' },
        { unicode: "é 漢字 🚀", nested: { b: [1, 2, { c: null }], a: true } },
        { big: "x".repeat(5000) },
        null,
        [],
        "a string payload",
        -12.5,
      ];
      const queued = await database.db.transaction(async (tx) => {
        audit.defer(tx);
        const rows = await Promise.all(
          Array.from({ length: 35 }, (_, i) =>
            audit.append(
              tx,
              { actor: `batch-${i % 3}`, action: `item.${i}`, payload: payloads[i % payloads.length]! },
              new Date(Date.UTC(2026, 10, 23, 5, 0, i, i)),
            ),
          ),
        );
        let statements = 0;
        const execute = tx.execute.bind(tx);
        tx.execute = ((query: Parameters<typeof execute>[0]) => {
          statements++;
          return execute(query);
        }) as typeof tx.execute;
        await audit.flush(tx);
        assert.equal(statements, 1, "the lock, the head and all rows in one round trip");
        return rows;
      });
      const stored = await audit.all(database.db);
      assert.equal(stored.length, before.length + 35);
      assert.equal(verifyAuditChain(stored).ok, true);
      const added = stored.slice(before.length);
      assert.equal(added[0]!.prevHash, before.at(-1)!.hash);
      assert.deepEqual(
        added.map((r) => [r.seq, r.action, r.hash, r.prevHash]),
        queued.map((r) => [r.seq, r.action, r.hash, r.prevHash]),
      );
      assert.deepEqual(
        added.map((r) => r.payload),
        queued.map((_, i) => payloads[i % payloads.length]),
      );
    });
  });
}
