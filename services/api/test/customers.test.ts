import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "../../db/src/database.js";
import { ENGINES } from "../../db/test/targets.js";
import { startTestApp, VALID_EVM, VALID_TZ1, type TestApp } from "./helpers.js";

let idempotencyCounter = 0;
const nextKey = (): string => `test-${process.pid}-${++idempotencyCounter}`;

async function countRows(
  database: Database,
  table: "customers" | "audit_log" | "idempotency_records",
): Promise<number> {
  const result = await database.db.execute(sql.raw(`select count(*)::int as n from ${table}`));
  return rowsOf<{ n: number }>(result)[0]!.n;
}

for (const engine of ENGINES) {
  describe(`customers API on ${engine.name}`, { skip: engine.skip }, () => {
    let database: Database;
    let dispose: () => Promise<void>;
    let t: TestApp;

    before(async () => {
      ({ database, dispose } = await engine.open());
      t = await startTestApp(database, { BODY_LIMIT_BYTES: "2048" });
    });
    after(async () => {
      await t?.close();
      await dispose?.();
    });

    const post = (
      body: unknown,
      opts: { key?: string | null; token?: string; raw?: string; contentType?: string } = {},
    ) =>
      t.app.inject({
        method: "POST",
        url: "/v1/customers",
        headers: {
          authorization: `Bearer ${opts.token ?? t.keys.admin}`,
          "content-type": opts.contentType ?? "application/json",
          ...(opts.key === null ? {} : { "idempotency-key": opts.key ?? nextKey() }),
        },
        payload: opts.raw ?? JSON.stringify(body),
      });
    const get = (url: string, token: string | null = t.keys.operator) =>
      t.app.inject({
        method: "GET",
        url,
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
      });

    const valid = { name: "Acme Treasury", evmColdAddress: VALID_EVM, tezosColdAddress: VALID_TZ1 };

    it("creates, shows and lists customers, auditing the creation", async () => {
      const auditBefore = await countRows(database, "audit_log");
      const created = await post(valid);
      assert.equal(created.statusCode, 201, created.body);
      const customer = created.json();
      assert.match(customer.id, /^[0-9a-f-]{36}$/);
      assert.equal(customer.evmColdAddress, VALID_EVM);
      assert.equal(customer.tezosColdAddress, VALID_TZ1);

      const shown = await get(`/v1/customers/${customer.id}`);
      assert.equal(shown.statusCode, 200);
      assert.deepEqual(shown.json(), customer);

      const second = (await post({ ...valid, name: "Beta Fund" })).json();
      const page1 = await get("/v1/customers?limit=1");
      assert.equal(page1.statusCode, 200, page1.body);
      assert.equal(page1.json().items.length, 1);
      const page2 = await get(`/v1/customers?limit=1&after=${page1.json().next}`);
      const ids = [page1.json().items[0].id, page2.json().items[0].id];
      assert.deepEqual(ids.sort(), [customer.id, second.id].sort());

      assert.equal((await countRows(database, "audit_log")) - auditBefore, 2);
      const audit = await get("/v1/audit?limit=500", t.keys.auditor);
      const entry = audit
        .json()
        .items.find((i: { payload: { id?: string } }) => i.payload.id === customer.id);
      assert.equal(entry.action, "customer.created");
      assert.match(entry.actor, /^api-key:/);
    });

    it("answers 404 for an unknown customer and 400 for a malformed id", async () => {
      const missing = await get("/v1/customers/00000000-0000-4000-8000-000000000000");
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().error.code, "not_found");
      const malformed = await get("/v1/customers/not-a-uuid");
      assert.equal(malformed.statusCode, 400);
      assert.equal(malformed.json().error.field, "id");
    });

    const badBodies: [string, unknown, string, string][] = [
      [
        "a malformed EVM address",
        { ...valid, evmColdAddress: "0x1234" },
        "evmColdAddress",
        "invalid_evm_address",
      ],
      [
        "an EVM address with a wrong checksum",
        { ...valid, evmColdAddress: VALID_EVM.replace("aAeb", "aaeb") },
        "evmColdAddress",
        "bad_checksum",
      ],
      [
        "an all-lowercase EVM address",
        { ...valid, evmColdAddress: VALID_EVM.toLowerCase() },
        "evmColdAddress",
        "bad_checksum",
      ],
      [
        "a tz1 with a broken base58check",
        { ...valid, tezosColdAddress: VALID_TZ1.slice(0, -1) + "c" },
        "tezosColdAddress",
        "invalid_tezos_address",
      ],
      [
        "a KT1 where a tz1 is expected",
        { ...valid, tezosColdAddress: "KT1BEqzn5Wx8uJrZNvuS9DVHmLvG9td3fDLi" },
        "tezosColdAddress",
        "invalid_tezos_address",
      ],
      ["an unknown field", { ...valid, hot: "0xdead" }, "hot", "unknown_field"],
      ["a number as name", { ...valid, name: 42 }, "name", "invalid_type"],
      ["a missing field", { name: "x", evmColdAddress: VALID_EVM }, "tezosColdAddress", "invalid_type"],
      ["an empty name", { ...valid, name: "  " }, "name", "too_short"],
      ["a name over 200 characters", { ...valid, name: "n".repeat(201) }, "name", "too_long"],
      ["an array as body", [valid], "body", "invalid_type"],
    ];
    for (const [what, body, field, code] of badBodies) {
      it(`refuses ${what} with 400 naming ${field}, writing nothing`, async () => {
        const before = await Promise.all([
          countRows(database, "customers"),
          countRows(database, "audit_log"),
          countRows(database, "idempotency_records"),
        ]);
        const res = await post(body);
        assert.equal(res.statusCode, 400, res.body);
        const error = res.json().error;
        assert.equal(error.field, field);
        assert.equal(error.code, code);
        assert.equal(typeof error.message, "string");
        const afterCounts = await Promise.all([
          countRows(database, "customers"),
          countRows(database, "audit_log"),
          countRows(database, "idempotency_records"),
        ]);
        assert.deepEqual(afterCounts, before);
      });
    }

    it("refuses an oversized body, malformed JSON and a non-JSON content type with 400 naming body", async () => {
      const before = await countRows(database, "customers");
      const big = await post({ ...valid, name: "x".repeat(4000) });
      assert.equal(big.statusCode, 400, big.body);
      assert.deepEqual([big.json().error.field, big.json().error.code], ["body", "body_too_large"]);
      const broken = await post(undefined, { raw: '{"name": ' });
      assert.equal(broken.statusCode, 400, broken.body);
      assert.equal(broken.json().error.field, "body");
      const text = await post(undefined, { raw: "name=x", contentType: "text/plain" });
      assert.equal(text.statusCode, 400, text.body);
      assert.equal(text.json().error.field, "body");
      assert.equal(await countRows(database, "customers"), before);
    });

    it("requires a well-formed Idempotency-Key header", async () => {
      const missing = await post(valid, { key: null });
      assert.equal(missing.statusCode, 400);
      assert.deepEqual(
        [missing.json().error.field, missing.json().error.code],
        ["Idempotency-Key", "missing_idempotency_key"],
      );
      const bad = await post(valid, { key: "has space" });
      assert.equal(bad.json().error.code, "invalid_idempotency_key");
    });

    it("replays the same key and body, and refuses the same key with another body", async () => {
      const key = nextKey();
      const first = await post(valid, { key });
      assert.equal(first.statusCode, 201);
      const customersAfterFirst = await countRows(database, "customers");
      const auditAfterFirst = await countRows(database, "audit_log");

      const replay = await post(valid, { key });
      assert.equal(replay.statusCode, 201);
      assert.equal(replay.headers["idempotent-replayed"], "true");
      assert.deepEqual(replay.json(), first.json());

      const conflict = await post({ ...valid, name: "Someone Else" }, { key });
      assert.equal(conflict.statusCode, 409);
      assert.deepEqual(
        [conflict.json().error.code, conflict.json().error.field],
        ["idempotency_key_reused", "Idempotency-Key"],
      );

      assert.equal(await countRows(database, "customers"), customersAfterFirst);
      assert.equal(await countRows(database, "audit_log"), auditAfterFirst);
    });

    it("creates one customer when the same request races itself", async () => {
      const key = nextKey();
      const before = await countRows(database, "customers");
      const answers = await Promise.all([post(valid, { key }), post(valid, { key }), post(valid, { key })]);
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        [201, 201, 201],
      );
      assert.equal(new Set(answers.map((a) => a.json().id)).size, 1);
      assert.equal(await countRows(database, "customers"), before + 1);
    });

    it("answers 401 without a valid key and 403 for the wrong role", async () => {
      assert.equal((await get("/v1/customers", null)).statusCode, 401);
      const garbage = await get("/v1/customers", "cpk_nonsense");
      assert.equal(garbage.statusCode, 401);
      assert.equal(garbage.json().error.code, "unauthorized");
      const forged = t.keys.admin.slice(0, -4) + (t.keys.admin.endsWith("AAAA") ? "BBBB" : "AAAA");
      assert.equal((await get("/v1/customers", forged)).statusCode, 401);

      const operatorPost = await post(valid, { token: t.keys.operator });
      assert.equal(operatorPost.statusCode, 403);
      assert.equal(operatorPost.json().error.code, "forbidden");
      assert.equal((await get("/v1/audit", t.keys.operator)).statusCode, 403);
      assert.equal((await get("/v1/audit", t.keys.admin)).statusCode, 403);
      assert.equal((await get("/v1/audit", t.keys.auditor)).statusCode, 200);
    });

    it("stops accepting a revoked key", async () => {
      const created = await t.app.inject({
        method: "POST",
        url: "/v1/api-keys",
        headers: { authorization: `Bearer ${t.keys.admin}`, "idempotency-key": nextKey() },
        payload: { name: "short-lived", role: "operator" },
      });
      assert.equal(created.statusCode, 201, created.body);
      const { id, token } = created.json();
      assert.equal((await get("/v1/customers", token)).statusCode, 200);
      const revoked = await t.app.inject({
        method: "POST",
        url: `/v1/api-keys/${id}/revoke`,
        headers: { authorization: `Bearer ${t.keys.admin}`, "idempotency-key": nextKey() },
      });
      assert.equal(revoked.statusCode, 200, revoked.body);
      assert.equal((await get("/v1/customers", token)).statusCode, 401);
    });

    it("logs one JSON line per request without secrets", async () => {
      const marker = nextKey();
      await t.app.inject({
        method: "GET",
        url: `/v1/customers?after=${marker}`,
        headers: { authorization: `Bearer ${t.keys.operator}` },
      });
      const lines = t.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const mine = lines.filter(
        (l) => l.msg === "request" && String(l.path) === "/v1/customers" && l.status === 400,
      );
      assert.ok(mine.length >= 1);
      for (const secret of Object.values(t.keys)) {
        assert.ok(!t.logLines.some((l) => l.includes(secret.slice(4, 40))), "an API key leaked into the log");
      }
    });
  });
}
