import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Database } from "../../db/src/database.js";
import { openMigratedPglite } from "../../db/test/targets.js";
import { AuditService } from "../src/audit/audit.service.js";
import { CustomersService } from "../src/customers/customers.service.js";
import { IdempotencyService } from "../src/http/idempotency.service.js";
import { ApiKeysService } from "../src/api-keys/api-keys.service.js";
import { startTestApp, type TestApp } from "./helpers.js";

/** tsx emits no decorator metadata: this fails if any constructor dependency came out undefined. */
describe("dependency injection under tsx", () => {
  let database: Database;
  let t: TestApp;
  before(async () => {
    database = await openMigratedPglite();
    t = await startTestApp(database);
  });
  let databaseOpen = true;
  after(async () => {
    await t?.close();
    if (databaseOpen) await database?.close();
  });

  it("gives every service all of its dependencies", () => {
    for (const token of [AuditService, CustomersService, IdempotencyService, ApiKeysService]) {
      const instance = t.app.get(token) as unknown as Record<string, unknown>;
      assert.ok(instance, `${token.name} resolved`);
      const fields = Object.entries(instance);
      assert.ok(fields.length > 0, `${token.name} has injected fields`);
      for (const [name, value] of fields)
        assert.notEqual(value, undefined, `${token.name}.${name} is undefined`);
    }
  });

  it("answers /health through controller, guard and database", async () => {
    const res = await t.app.inject({ method: "GET", url: "/health" });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: "ok", database: "pglite" });
  });

  it("answers an unexpected failure with a bare 500 and logs it", async () => {
    await database.close();
    databaseOpen = false;
    const res = await t.app.inject({
      method: "GET",
      url: "/v1/customers",
      headers: { authorization: `Bearer ${t.keys.operator}` },
    });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { error: { code: "internal", message: "internal error" } });
    assert.ok(t.logLines.some((l) => l.includes('"msg":"unhandled error"')));
  });
});
