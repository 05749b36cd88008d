/**
 * IdempotencyService.runClaimingLast (decision 1047): the work runs first and one statement then
 * claims the key with the answer and stages the work's audit rows. Whatever the order the
 * requests arrive in, a key is used once: one set of effects, one answer, replayed byte for byte,
 * and a 409 for another request under the same key. A replay whose work fails, or that loses
 * the race, leaves nothing behind.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { ConflictError, ValidationError } from "../../shared/src/errors.js";
import { verifyAuditChain } from "../../db/src/audit-chain.js";
import { rowsOf, type Database, type Tx } from "../../db/src/database.js";
import { ApiKeysRepository, AuditRepository, IdempotencyRepository } from "../../db/src/repositories.js";
import { ENGINES } from "../../db/test/targets.js";
import type { Principal } from "../src/auth/roles.js";
import { IdempotencyService } from "../src/http/idempotency.service.js";

const OTHER_KEY_ID = "00000000-0000-4000-8000-0000000000bb";
const principal: Principal = {
  keyId: "00000000-0000-4000-8000-0000000000aa",
  role: "operator",
  actor: "op:test",
};
const audit = new AuditRepository();
const records = new IdempotencyRepository();

for (const engine of ENGINES) {
  describe(`idempotent writes that claim their key last, on ${engine.name}`, { skip: engine.skip }, () => {
    let database: Database;
    let dispose: () => Promise<void>;
    let service: IdempotencyService;

    before(async () => {
      ({ database, dispose } = await engine.open());
      await database.exec(
        "create table claim_last_effects (id serial primary key, key text not null, note text)",
      );
      // Idempotency records belong to an API key (a foreign key): two test keys, never used to log in.
      for (const id of [principal.keyId, OTHER_KEY_ID])
        await new ApiKeysRepository().insert(database.db, {
          id,
          name: `test key ${id.slice(-2)}`,
          role: "operator",
          salt: "00",
          hash: "00",
          createdAt: new Date(),
          revokedAt: null,
        });
      service = new IdempotencyService(database, records, () => new Date(), audit);
    });
    after(async () => dispose?.());

    const effects = async (key: string): Promise<string[]> =>
      rowsOf<{ note: string }>(
        await database.db.execute(sql`select note from claim_last_effects where key = ${key} order by id`),
      ).map((r) => r.note);
    const auditActions = async (): Promise<string[]> => (await audit.all(database.db)).map((r) => r.action);

    /** A work that writes one effect row and one audit row, then answers 202 with `note`. */
    const writing =
      (key: string, note: string) =>
      async (tx: Tx, now: Date): Promise<{ status: number; body: { note: string } }> => {
        await tx.execute(sql`insert into claim_last_effects (key, note) values (${key}, ${note})`);
        await audit.append(tx, { actor: principal.actor, action: `effect.${note}`, payload: { key } }, now);
        return { status: 202, body: { note } };
      };

    it("claims the key with the answer, in the work's transaction, with the work's audit rows", async () => {
      const stored = await service.runClaimingLast(principal, "k-first", "hash-1", writing("k-first", "one"));
      assert.deepEqual(stored, { status: 202, body: { note: "one" }, replayed: false });
      const row = await records.find(database.db, principal.keyId, "k-first");
      assert.equal(row?.responseStatus, 202, "stored with its answer, never as a placeholder");
      assert.deepEqual(row?.responseBody, { note: "one" });
      assert.equal(row?.requestHash, "hash-1");
      assert.deepEqual(await effects("k-first"), ["one"]);
      assert.ok((await auditActions()).includes("effect.one"));
    });

    it("replays the stored answer for a repeat, and rolls the repeat's work and audit rows back", async () => {
      const before = await auditActions();
      const again = await service.runClaimingLast(principal, "k-first", "hash-1", writing("k-first", "two"));
      assert.deepEqual(again, { status: 202, body: { note: "one" }, replayed: true });
      assert.deepEqual(await effects("k-first"), ["one"], "the repeat's write is rolled back");
      assert.deepEqual(await auditActions(), before, "and its audit row never written");
    });

    it("replays even when the repeated work now fails, as a claim-first run would", async () => {
      // A lock of the whole balance, repeated after the first one took it, would now be a 400.
      const failing = async (): Promise<never> => {
        throw new ValidationError("insufficient_balance", "wad", "the proxy holds 0 base units");
      };
      const again = await service.runClaimingLast(principal, "k-first", "hash-1", failing);
      assert.deepEqual(again, { status: 202, body: { note: "one" }, replayed: true });
    });

    it("answers 409 for another request under a used key, whether its work succeeds or fails", async () => {
      await assert.rejects(
        service.runClaimingLast(principal, "k-first", "hash-other", writing("k-first", "three")),
        (e: unknown) => e instanceof ConflictError && e.code === "idempotency_key_reused",
      );
      await assert.rejects(
        service.runClaimingLast(principal, "k-first", "hash-other", async () => {
          throw new ValidationError("bad", "wad", "bad amount");
        }),
        (e: unknown) => e instanceof ConflictError && e.code === "idempotency_key_reused",
      );
      assert.deepEqual(await effects("k-first"), ["one"]);
    });

    it("passes a new key's error on and keeps nothing: no key, no effect, no audit row", async () => {
      const before = await auditActions();
      await assert.rejects(
        service.runClaimingLast(principal, "k-failed", "hash-f", async (tx, now) => {
          await writing("k-failed", "lost")(tx, now);
          throw new ValidationError("bad", "wad", "refused after writing");
        }),
        (e: unknown) => e instanceof ValidationError && e.field === "wad",
      );
      assert.equal(await records.find(database.db, principal.keyId, "k-failed"), undefined);
      assert.deepEqual(await effects("k-failed"), []);
      assert.deepEqual(await auditActions(), before);
      // The key is still free: a corrected request claims it.
      const ok = await service.runClaimingLast(principal, "k-failed", "hash-f", writing("k-failed", "fixed"));
      assert.equal(ok.replayed, false);
      assert.deepEqual(await effects("k-failed"), ["fixed"]);
    });

    it("keeps the same key apart for two API keys", async () => {
      const other: Principal = { ...principal, keyId: OTHER_KEY_ID };
      const stored = await service.runClaimingLast(other, "k-first", "hash-1", writing("k-first", "other"));
      assert.equal(stored.replayed, false);
      assert.deepEqual(await effects("k-first"), ["one", "other"]);
    });

    it("uses a key once when many requests with it race: one set of effects, one answer", async () => {
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          service.runClaimingLast(principal, "k-race", "hash-r", writing("k-race", `racer-${i}`)),
        ),
      );
      const fresh = answers.filter((a) => !a.replayed);
      assert.equal(fresh.length, 1, "exactly one request did the work");
      for (const a of answers) assert.deepEqual(a.body, fresh[0]!.body, "every answer is the stored one");
      assert.deepEqual(await effects("k-race"), [(fresh[0]!.body as { note: string }).note]);
      const stored = await audit.all(database.db);
      assert.equal(stored.filter((r) => r.action.startsWith("effect.racer-")).length, 1);
      assert.equal(verifyAuditChain(stored).ok, true);
    });
  });
}
