/**
 * A Tezos operation injected but never included (the node dropped it) stays `broadcast` until its
 * branch is older than the protocol's operation TTL; the worker then checks it was not included,
 * re-forges the same intent on a fresh branch with the same counter, signs and injects it, and
 * confirms it. Against the in-repo sandbox (TTL 450 blocks), API on PGlite.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NestFastifyApplication } from "@nestjs/platform-fastify";
import { LocalForger } from "@taquito/local-forging";
import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "../../../db/src/database.js";
import { ApiKeysRepository, TezosOutboxRepository } from "../../../db/src/repositories.js";
import { openMigratedPglite } from "../../../db/test/targets.js";
import { createApp } from "../../src/app.js";
import { issueApiKey } from "../../src/auth/api-key-tokens.js";
import { loadConfig } from "../../src/config.js";
import { HttpMetrics } from "../../src/http/metrics.js";
import { JsonLogger } from "../../src/logger.js";
import { TezosOutboxWorker } from "../../src/staking/tezos.worker.js";
import { VALID_EVM } from "../helpers.js";
import { startTezosRig, type TezosRig } from "./tezos-rig.js";

describe("expired Tezos operations are re-forged on a fresh branch (sandbox, PGlite)", () => {
  let rig: TezosRig;
  let database: Database;
  let app: NestFastifyApplication;
  let worker: TezosOutboxWorker;
  let operator: string;
  let customerId: string;
  let seq = 0;

  const post = async (path: string, body: unknown, token = operator) => {
    const res = await app.inject({
      method: "POST",
      url: path,
      headers: {
        authorization: `Bearer ${token}`,
        "idempotency-key": `tz-${++seq}`,
        "content-type": "application/json",
      },
      payload: JSON.stringify(body),
    });
    assert.ok(res.statusCode < 300, res.body);
    return res.json() as { id: string; operationId: string };
  };
  const operation = async (id: string) =>
    rowsOf<{ status: string; tx_hash: string | null; failure_reason: string | null }>(
      await database.db.execute(sql`select status, tx_hash, failure_reason from operations where id = ${id}`),
    )[0]!;
  const freeLease = (id: string) =>
    database.db.execute(
      sql`update tezos_outbox set lease_until = null, lease_owner = null where operation_id = ${id}`,
    );

  before(async () => {
    rig = await startTezosRig();
    database = await openMigratedPglite();
    app = await createApp({
      config: loadConfig({ DATA_DIR: "memory://" }),
      database,
      logger: new JsonLogger("silent", () => {}),
      metrics: new HttpMetrics(false),
      staking: { chain: rig.chain },
      reliability: { leaseMs: 3_000, bumpAfterMs: 100, bumpAfterBlocks: 2, bumpBps: 1250n, pipelineDepth: 8 },
    });
    worker = app.get(TezosOutboxWorker);
    const keys = new ApiKeysRepository();
    const admin = issueApiKey("admin", "admin", new Date());
    const op = issueApiKey("operator", "operator", new Date());
    await keys.insert(database.db, admin.row);
    await keys.insert(database.db, op.row);
    operator = op.token;
    customerId = (
      await post(
        "/v1/customers",
        {
          name: "Tezos expiry",
          evmColdAddress: VALID_EVM,
          tezosColdAddress: rig.sandbox.accounts[2]!.address,
        },
        admin.token,
      )
    ).id;
    const contract = await post(`/v1/customers/${customerId}/staking/contract`, {});
    await worker.drain();
    const originated = await operation(contract.operationId);
    assert.equal(originated.status, "confirmed", originated.failure_reason ?? "");
  });

  after(async () => {
    await app?.close();
    await database?.close();
    await rig?.close();
  });

  it("re-forges a dropped operation once its branch expired, with the same counter, and confirms it", async () => {
    const { operationId } = await post(`/v1/customers/${customerId}/staking/delegate`, { baker: rig.baker });
    rig.chain.dropNextInject = true;
    await worker.drain();
    const dropped = await operation(operationId);
    assert.equal(dropped.status, "broadcast");
    const droppedRow = (await new TezosOutboxRepository().findById(database.db, operationId))!;

    // Not expired yet: the worker keeps waiting and re-forges nothing.
    await freeLease(operationId);
    await worker.drain();
    assert.equal((await operation(operationId)).tx_hash, dropped.tx_hash);

    const ttl = await rig.chain.maxOperationsTtl();
    await rig.advance(ttl + 1);
    await freeLease(operationId);
    await worker.drain();
    const done = await operation(operationId);
    assert.equal(done.status, "confirmed", done.failure_reason ?? "");
    assert.notEqual(done.tx_hash, dropped.tx_hash);

    const forger = new LocalForger();
    const row = (await new TezosOutboxRepository().findById(database.db, operationId))!;
    const counters = async (hex: string) =>
      ((await forger.parse(hex)) as { contents: { counter: string }[] }).contents.map((c) => c.counter);
    const parsedOld = (await forger.parse(droppedRow.forgedBytes!)) as { branch: string };
    const parsedNew = (await forger.parse(row.forgedBytes!)) as { branch: string };
    assert.deepEqual(await counters(row.forgedBytes!), await counters(droppedRow.forgedBytes!));
    assert.notEqual(parsedNew.branch, parsedOld.branch);

    // Chain truth: the dropped hash is nowhere; exactly one operation of the hot account uses the counter.
    const hot = rig.hotOperations();
    assert.equal(
      hot.some((o) => o.hash === dropped.tx_hash),
      false,
    );
    const [counter] = await counters(row.forgedBytes!);
    assert.deepEqual(
      hot.filter((o) => o.counter === counter).map((o) => o.hash),
      [done.tx_hash],
    );
    const status = await rig.chain.contractStatus(
      rowsOf<{ contract_address: string }>(
        await database.db.execute(
          sql`select contract_address from staking_contracts where customer_id = ${customerId}`,
        ),
      )[0]!.contract_address,
    );
    assert.equal(status.delegate, rig.baker);
    const audit = rowsOf<{ action: string; payload: { replaces?: string; opHash?: string } }>(
      await database.db.execute(
        sql`select action, payload from audit_log where payload->>'operationId' = ${operationId} order by seq`,
      ),
    );
    const reforged = audit.find((a) => a.action === "operation.reforged");
    assert.equal(reforged?.payload.replaces, dropped.tx_hash);
    assert.equal(reforged?.payload.opHash, done.tx_hash);
  });
});
