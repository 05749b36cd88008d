import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { verifyAuditChain } from "../src/audit-chain.js";
import { rowsOf, type Database } from "../src/database.js";
import { AuditRepository } from "../src/repositories.js";
import { ENGINES } from "./targets.js";

const audit = new AuditRepository();

async function appendThree(database: Database): Promise<void> {
  for (const n of [1, 2, 3]) {
    await database.db.transaction(async (tx) => {
      await audit.append(
        tx,
        { actor: "test", action: `thing.${n}`, payload: { n, nested: { b: 1, a: [n] } } },
        new Date(),
      );
    });
  }
}

/** Tampering as a superuser would: with triggers switched off for the session. */
async function asSuperuser(database: Database, statements: string): Promise<void> {
  await database.exec(`begin; set local session_replication_role = replica; ${statements}; commit;`);
}

for (const engine of ENGINES) {
  describe(`audit log on ${engine.name}`, { skip: engine.skip }, () => {
    let database: Database;
    let dispose: () => Promise<void>;

    before(async () => {
      ({ database, dispose } = await engine.open());
    });
    after(async () => dispose?.());

    const reset = async (): Promise<void> => asSuperuser(database, "delete from audit_log");

    it("chains appended rows and verifies them", async () => {
      await reset();
      await appendThree(database);
      const rows = await audit.all(database.db);
      assert.deepEqual(
        rows.map((r) => r.seq),
        [1, 2, 3],
      );
      assert.equal(rows[1]!.prevHash, rows[0]!.hash);
      const verdict = verifyAuditChain(rows);
      assert.equal(verdict.ok, true);
      assert.equal(verdict.rows, 3);
    });

    it("refuses UPDATE, DELETE and TRUNCATE through its trigger", async () => {
      await reset();
      await appendThree(database);
      await assert.rejects(
        database.exec("update audit_log set actor = 'mallory' where seq = 2"),
        /append-only/,
      );
      await assert.rejects(database.exec("delete from audit_log where seq = 2"), /append-only/);
      await assert.rejects(database.exec("truncate audit_log"), /append-only/);
      assert.equal(verifyAuditChain(await audit.all(database.db)).ok, true);
    });

    it("names the first altered row", async () => {
      await reset();
      await appendThree(database);
      await asSuperuser(database, `update audit_log set payload = '{"n": 99}'::jsonb where seq = 2`);
      const verdict = verifyAuditChain(await audit.all(database.db));
      assert.equal(verdict.ok, false);
      assert.equal(!verdict.ok && verdict.firstBadSeq, 2);
      assert.equal(!verdict.ok && verdict.reason, "hash_mismatch");
    });

    it("names the row after a deleted one", async () => {
      await reset();
      await appendThree(database);
      await asSuperuser(database, "delete from audit_log where seq = 2");
      const verdict = verifyAuditChain(await audit.all(database.db));
      assert.equal(!verdict.ok && verdict.firstBadSeq, 3);
      assert.equal(!verdict.ok && verdict.reason, "seq_gap");
    });

    it("names the first row of a reordering", async () => {
      await reset();
      await appendThree(database);
      await asSuperuser(
        database,
        "update audit_log set seq = -1 where seq = 2; update audit_log set seq = 2 where seq = 3; update audit_log set seq = 3 where seq = -1",
      );
      const verdict = verifyAuditChain(await audit.all(database.db));
      assert.equal(!verdict.ok && verdict.firstBadSeq, 2);
      assert.equal(!verdict.ok && verdict.reason, "prev_hash_mismatch");
    });

    it("keeps one chain under concurrent appends", async () => {
      await reset();
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          database.db.transaction((tx) =>
            audit.append(tx, { actor: "test", action: "race", payload: { i } }, new Date()),
          ),
        ),
      );
      const rows = await audit.all(database.db);
      assert.equal(rows.length, 8);
      assert.equal(verifyAuditChain(rows).ok, true);
      const result = await database.db.execute(
        sql`select count(distinct prev_hash)::int as n from audit_log`,
      );
      assert.equal(rowsOf<{ n: number }>(result)[0]!.n, 8);
    });
  });
}
