/**
 * The active policy kept in memory under the database's policy stamp: two API instances on one
 * database, an activation through one is in force in the other at once, a row edited directly in
 * the database is re-verified on the next call, and the stamp of a rolled-back change is never
 * seen again.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "../../../db/src/database.js";
import { ENGINES } from "../../../db/test/targets.js";
import { PolicyLifecycleService } from "../../src/policy/policy-lifecycle.service.js";
import { activate, examplePolicy, startPolicyApp, type PolicyTestApp } from "./fixtures.js";

async function stamp(database: Database): Promise<string> {
  return String(
    rowsOf<{ stamp: string }>(await database.db.execute(sql`select stamp from policy_state_stamp`))[0]!.stamp,
  );
}

/** Counts full reloads of the verified policy state by `t`'s lifecycle service. */
function countReloads(t: PolicyTestApp): { readonly n: number } {
  const lifecycle = t.app.get(PolicyLifecycleService);
  const counter = { n: 0 };
  const state = lifecycle.state.bind(lifecycle);
  lifecycle.state = (ex) => {
    counter.n++;
    return state(ex);
  };
  return counter;
}

for (const engine of ENGINES) {
  describe(`active policy cache on ${engine.name}`, { skip: engine.skip }, () => {
    let database: Database;
    let dispose: () => Promise<void>;
    let a: PolicyTestApp;
    let b: PolicyTestApp;
    const v1 = examplePolicy();
    let v1Hash = "";

    before(async () => {
      ({ database, dispose } = await engine.open());
      a = await startPolicyApp(database);
      b = await startPolicyApp(database);
    });
    after(async () => {
      await a?.close();
      await b?.close();
      await dispose?.();
    });

    it("puts an activation made through one instance in force in the other at once", async () => {
      const reloads = countReloads(b);
      assert.equal((await b.call("GET", "/v1/policies/active", "operator")).status, 404);
      assert.equal((await b.call("GET", "/v1/policies/active", "operator")).status, 404);
      assert.equal(reloads.n, 1, "the second call is answered from memory");
      v1Hash = await activate(a, v1, ["erin", "grace"]);
      const active = await b.call("GET", "/v1/policies/active", "operator");
      assert.equal(active.status, 200);
      assert.equal(active.json.hash, v1Hash);
      assert.equal(reloads.n, 2);
      await b.call("GET", "/v1/policies/active", "operator");
      assert.equal(reloads.n, 2);
    });

    it("re-verifies after a direct edit of a stored row, and refuses the edited version", async () => {
      const before = await stamp(database);
      await database.exec(
        `update policy_versions set document = jsonb_set(document, '{description}', '"edited"') where hash = '${v1Hash}'`,
      );
      assert.notEqual(await stamp(database), before);
      assert.equal((await b.call("GET", "/v1/policies/active", "operator")).status, 404);
      await database.exec(
        `update policy_versions set document = jsonb_set(document, '{description}', '${JSON.stringify(v1.description)}') where hash = '${v1Hash}'`,
      );
      assert.equal((await b.call("GET", "/v1/policies/active", "operator")).json.hash, v1Hash);
    });

    it("never hands the stamp of a rolled-back change to a later state", async () => {
      const before = await stamp(database);
      let inside = "";
      await assert.rejects(
        database.db.transaction(async (tx) => {
          await tx.execute(sql`update policy_versions set proposed_by = proposed_by`);
          inside = String(
            rowsOf<{ stamp: string }>(await tx.execute(sql`select stamp from policy_state_stamp`))[0]!.stamp,
          );
          throw new Error("rolled back");
        }),
        /rolled back/,
      );
      assert.notEqual(inside, before);
      assert.equal(await stamp(database), before);
      await database.exec(`update policy_signatures set submitted_by = submitted_by`);
      const after = await stamp(database);
      assert.notEqual(after, before);
      assert.notEqual(after, inside);
    });
  });
}
