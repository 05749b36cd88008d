import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Database } from "../../db/src/database.js";
import { ApiKeysRepository, CustomersRepository, OperationsRepository } from "../../db/src/repositories.js";
import { apiKeys } from "../../db/src/schema.js";
import { ENGINES } from "../../db/test/targets.js";
import { bootstrapAdminKey } from "../src/bootstrap.js";
import { startTestApp, VALID_EVM, VALID_TZ1, type TestApp } from "./helpers.js";

for (const engine of ENGINES) {
  describe(`audit, operations and platform routes on ${engine.name}`, { skip: engine.skip }, () => {
    let database: Database;
    let dispose: () => Promise<void>;
    let t: TestApp;
    let n = 0;

    before(async () => {
      ({ database, dispose } = await engine.open());
      t = await startTestApp(database);
    });
    after(async () => {
      await t?.close();
      await dispose?.();
    });

    const createCustomer = (name: string) =>
      t.app.inject({
        method: "POST",
        url: "/v1/customers",
        headers: { authorization: `Bearer ${t.keys.admin}`, "idempotency-key": `platform-${++n}` },
        payload: { name, evmColdAddress: VALID_EVM, tezosColdAddress: VALID_TZ1 },
      });
    const asAuditor = (url: string) =>
      t.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${t.keys.auditor}` } });

    it("verifies an intact chain, then names the first tampered row", async () => {
      for (const name of ["one", "two", "three"]) assert.equal((await createCustomer(name)).statusCode, 201);
      const intact = await asAuditor("/v1/audit/verify");
      assert.equal(intact.statusCode, 200);
      assert.equal(intact.json().ok, true);
      const rows = intact.json().rows as number;
      assert.ok(rows >= 3);

      const page = (await asAuditor(`/v1/audit?after=${rows - 2}&limit=1`)).json();
      assert.equal(page.items.length, 1);
      const victim = page.items[0].seq as number;
      assert.equal(victim, rows - 1);
      assert.equal(page.next, victim);

      await database.exec(
        `begin; set local session_replication_role = replica; update audit_log set actor = 'mallory' where seq = ${victim}; commit;`,
      );
      const broken = (await asAuditor("/v1/audit/verify")).json();
      assert.equal(broken.ok, false);
      assert.equal(broken.firstBadSeq, victim);
      assert.equal(broken.reason, "hash_mismatch");
      assert.match(broken.message, new RegExp(`row ${victim}`));
    });

    it("refuses audit queries with unknown or bad parameters", async () => {
      const res = await asAuditor("/v1/audit?limit=0");
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error.field, "limit");
      const unknown = await asAuditor("/v1/audit?order=desc");
      assert.deepEqual([unknown.statusCode, unknown.json().error.field], [400, "order"]);
    });

    it("shows an operation with its status", async () => {
      const now = new Date();
      const customer = {
        id: randomUUID(),
        name: "ops",
        evmColdAddress: VALID_EVM,
        tezosColdAddress: VALID_TZ1,
        createdAt: now,
      };
      await new CustomersRepository().insert(database.db, customer);
      const [key] = await database.db.select().from(apiKeys).limit(1);
      const operations = new OperationsRepository();
      const op = await operations.insertQueued(database.db, {
        id: randomUUID(),
        customerId: customer.id,
        chain: "evm",
        kind: "vote",
        apiKeyId: key!.id,
        idempotencyKey: "op-1",
        requestHash: "00",
        at: now,
      });
      await operations.setStatus(database.db, op.id, "failed", new Date(), {
        failureReason: "nonce too low",
      });
      const res = await t.app.inject({
        method: "GET",
        url: `/v1/operations/${op.id}`,
        headers: { authorization: `Bearer ${t.keys.operator}` },
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().status, "failed");
      assert.equal(res.json().failureReason, "nonce too low");
      const missing = await t.app.inject({
        method: "GET",
        url: `/v1/operations/${randomUUID()}`,
        headers: { authorization: `Bearer ${t.keys.operator}` },
      });
      assert.equal(missing.statusCode, 404);
      // The database itself insists that only failed operations carry a reason.
      await assert.rejects(operations.setStatus(database.db, op.id, "failed", new Date()));
    });

    it("serves health, metrics and the OpenAPI document without a key", async () => {
      assert.equal((await t.app.inject({ method: "GET", url: "/health" })).json().database, engine.name);
      const metrics = await t.app.inject({ method: "GET", url: "/metrics" });
      assert.equal(metrics.statusCode, 200);
      assert.match(
        metrics.body,
        /coldpath_http_requests_total\{method="GET",route="\/health",status="200"\} \d+/,
      );
      assert.match(metrics.body, /coldpath_http_request_duration_seconds_bucket/);
      const doc = await t.app.inject({ method: "GET", url: "/docs-json" });
      assert.equal(doc.statusCode, 200);
      const spec = doc.json();
      assert.ok(spec.paths["/v1/customers"].post);
      assert.ok(spec.paths["/v1/audit/verify"].get);
      assert.deepEqual(Object.keys(spec.components.schemas.CreateCustomerRequest.properties).sort(), [
        "evmColdAddress",
        "name",
        "tezosColdAddress",
      ]);
      const ui = await t.app.inject({ method: "GET", url: "/docs" });
      assert.equal(ui.statusCode, 200);
      assert.match(ui.body, /swagger/i);
    });

    it("answers unknown routes with a JSON 404", async () => {
      const res = await t.app.inject({
        method: "GET",
        url: "/v1/nothing",
        headers: { authorization: `Bearer ${t.keys.admin}` },
      });
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().error.code, "not_found");
    });

    it("bootstraps the first admin key into a 0600 file only when no admin exists", async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "coldpath-bootstrap-"));
      try {
        // The suite already has an admin: nothing to do.
        assert.equal(await bootstrapAdminKey(database, path.join(dir, "skip.key")), undefined);
        const admins = await database.db.select().from(apiKeys);
        for (const row of admins.filter((r) => r.role === "admin" && r.revokedAt === null)) {
          await new ApiKeysRepository().revoke(database.db, row.id, new Date());
        }
        const file = path.join(dir, "admin.key");
        const id = await bootstrapAdminKey(database, file);
        assert.ok(id);
        assert.equal(statSync(file).mode & 0o777, 0o600);
        const token = readFileSync(file, "utf8").trim();
        const res = await t.app.inject({
          method: "GET",
          url: "/v1/customers",
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(res.statusCode, 200);
        assert.ok(
          !t.logLines.some((l) => l.includes(token.slice(4))),
          "the bootstrap token leaked into the log",
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
