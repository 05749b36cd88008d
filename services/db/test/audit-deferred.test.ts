/**
 * Deferred audit appends: rows queued during a transaction, staged at its end and chained when it
 * commits (migrations 0010 and 0011: one chaining pass per commit), with the chain's lock taken
 * only then, still form one verifiable chain under concurrency.
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

    it("stages queued rows at flush, chains them in order at the commit, and runs the fused write", async () => {
      const count = async (ex: Pick<Database["db"], "execute">, table: "audit_log" | "audit_pending") =>
        rowsOf<{ n: number }>(
          await ex.execute(sql`select count(*)::int as n from ${sql.identifier(table)}`),
        )[0]!.n;
      await database.db.transaction(async (tx) => {
        audit.defer(tx);
        const first = await audit.append(tx, { actor: "t", action: "one", payload: { n: 1 } }, new Date());
        await audit.append(tx, { actor: "t", action: "two", payload: { n: [2] } }, new Date());
        assert.equal(first.hash, "", "the chain's values are known only at the commit");
        assert.equal(await count(tx, "audit_pending"), 0, "nothing is written before the flush");
        await audit.flush(tx, sql`insert into deferred_fused (id, note) values (${1}, ${"fused"})`);
        assert.equal(await count(tx, "audit_pending"), 2, "staged by the flush");
        assert.equal(await count(tx, "audit_log"), 0, "chained only when the transaction commits");
      });
      assert.equal(await count(database.db, "audit_pending"), 0, "the commit empties the staging table");
      const stored = await audit.all(database.db);
      assert.deepEqual(
        stored.map((r) => [r.seq, r.action]),
        [
          [1, "one"],
          [2, "two"],
        ],
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
      const left = rowsOf<{ n: number }>(
        await database.db.execute(sql`select count(*)::int as n from audit_pending`),
      );
      assert.equal(left[0]!.n, 0, "a rolled-back transaction leaves nothing staged");
    });

    // Two connections at once: PostgreSQL only (PGlite has one).
    if (engine.name === "postgres")
      it("chains a transaction's rows at its own commit, never another's still open, even between its own", async () => {
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        let staged!: () => void;
        const isStaged = new Promise<void>((resolve) => (staged = resolve));
        let stageMore!: () => void;
        const more = new Promise<void>((resolve) => (stageMore = resolve));
        let stagedMore!: () => void;
        const isStagedMore = new Promise<void>((resolve) => (stagedMore = resolve));
        // The open transaction's rows lie below and between the committing one's: its commit's
        // pass (from its first row up) must pass over them, invisible, and leave them staged.
        const slow = database.db.transaction(async (tx) => {
          await audit.append(tx, { actor: "slow", action: "open", payload: null }, new Date());
          staged();
          await more;
          await audit.append(tx, { actor: "slow", action: "open.2", payload: null }, new Date());
          stagedMore();
          await held;
        });
        await isStaged;
        await database.db.transaction(async (tx) => {
          await audit.append(tx, { actor: "fast", action: "committed", payload: null }, new Date());
          stageMore();
          await isStagedMore;
          await audit.append(tx, { actor: "fast", action: "committed.2", payload: null }, new Date());
        });
        const whileOpen = await audit.all(database.db);
        assert.deepEqual(
          whileOpen.slice(-2).map((r) => r.action),
          ["committed", "committed.2"],
        );
        assert.ok(!whileOpen.some((r) => r.actor === "slow"), "an open transaction's rows are not chained");
        release();
        await slow;
        const after = await audit.all(database.db);
        assert.deepEqual(
          after.slice(-4).map((r) => r.action),
          ["committed", "committed.2", "open", "open.2"],
        );
        assert.equal(verifyAuditChain(after).ok, true);
      });

    it("keeps one chain when deferred and immediate appends race", async () => {
      const before = (await audit.all(database.db)).length;
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
      assert.equal(stored.length, before + 24);
      assert.equal(verifyAuditChain(stored).ok, true);
    });

    it("chains what a transaction staged so far when its constraints are checked early, and the rest at its commit", async () => {
      // SET CONSTRAINTS ... IMMEDIATE fires the deferred trigger mid-transaction: the pass then
      // chains the rows staged so far, and the rows staged after it still get their own pass.
      const before = await audit.all(database.db);
      const pending = async (ex: Pick<Database["db"], "execute">) =>
        rowsOf<{ n: number }>(await ex.execute(sql`select count(*)::int as n from audit_pending`))[0]!.n;
      await database.db.transaction(async (tx) => {
        for (const action of ["early.1", "early.2", "early.3"])
          await audit.append(tx, { actor: "t", action, payload: null }, new Date());
        await tx.execute(sql`set constraints all immediate`);
        assert.equal(await pending(tx), 0, "the early check chained all three rows");
        await tx.execute(sql`set constraints all deferred`);
        for (const action of ["late.1", "late.2"])
          await audit.append(tx, { actor: "t", action, payload: null }, new Date());
        assert.equal(await pending(tx), 2);
      });
      assert.equal(await pending(database.db), 0);
      const stored = await audit.all(database.db);
      assert.deepEqual(
        stored.slice(before.length).map((r) => r.action),
        ["early.1", "early.2", "early.3", "late.1", "late.2"],
      );
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
        assert.equal(statements, 1, "all rows in one round trip");
        return rows;
      });
      const stored = await audit.all(database.db);
      assert.equal(stored.length, before.length + 35);
      assert.equal(verifyAuditChain(stored).ok, true);
      const added = stored.slice(before.length);
      assert.equal(added[0]!.prevHash, before.at(-1)!.hash);
      assert.deepEqual(
        added.map((r) => [r.seq, r.action]),
        queued.map((r, i) => [before.length + 1 + i, r.action]),
        "chained at the commit in the order queued",
      );
      assert.deepEqual(
        added.map((r) => r.payload),
        queued.map((_, i) => payloads[i % payloads.length]),
      );
    });
  });
}
