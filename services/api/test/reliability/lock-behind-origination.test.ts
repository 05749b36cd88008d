/**
 * A hot action queued right behind its proxy's origination. Deposits may reach the predicted
 * address before the proxy exists, so a lock can be accepted at once; the pipelined worker must not
 * estimate or sign it against the still-empty account (the estimate would be ≈21k gas and the
 * transaction would run out of gas once the code exists). It waits for the origination, and fails
 * with a reason if the origination itself failed.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NestFastifyApplication } from "@nestjs/platform-fastify";
import { Wallet, parseEther } from "ethers";
import { sql } from "drizzle-orm";
import { mintGov } from "../../../../deploy/lib/stack.js";
import { rowsOf, type Database } from "../../../db/src/database.js";
import { ApiKeysRepository } from "../../../db/src/repositories.js";
import { openMigratedPglite } from "../../../db/test/targets.js";
import { createApp } from "../../src/app.js";
import { issueApiKey } from "../../src/auth/api-key-tokens.js";
import { loadConfig } from "../../src/config.js";
import { HttpMetrics } from "../../src/http/metrics.js";
import { JsonLogger } from "../../src/logger.js";
import { OutboxWorker } from "../../src/outbox/outbox.worker.js";
import { DEFAULT_OUTBOX_RELIABILITY } from "../../src/outbox/reliability-settings.js";
import { VALID_TZ1 } from "../helpers.js";
import { startEvmRig, type EvmRig } from "./evm-rig.js";

describe("a hot action queued behind its proxy's origination (Hardhat, PGlite)", () => {
  let rig: EvmRig;
  let database: Database;
  let app: NestFastifyApplication;
  let worker: OutboxWorker;
  let admin: string;
  let operator: string;
  let seq = 0;

  const post = async (path: string, body: unknown, token = operator) => {
    const res = await app.inject({
      method: "POST",
      url: path,
      headers: {
        authorization: `Bearer ${token}`,
        "idempotency-key": `behind-${++seq}`,
        "content-type": "application/json",
      },
      payload: JSON.stringify(body),
    });
    assert.ok(res.statusCode < 300, res.body);
    return res.json() as { id: string; operationId: string; proxyAddress: string };
  };
  const statusOf = async (operationId: string) =>
    rowsOf<{ status: string; failure_reason: string | null }>(
      await database.db.execute(sql`select status, failure_reason from operations where id = ${operationId}`),
    )[0]!;
  const newCustomer = async (name: string) =>
    (
      await post(
        "/v1/customers",
        { name, evmColdAddress: Wallet.createRandom().address, tezosColdAddress: VALID_TZ1 },
        admin,
      )
    ).id;

  before(async () => {
    rig = await startEvmRig();
    database = await openMigratedPglite();
    app = await createApp({
      config: loadConfig({ DATA_DIR: "memory://" }),
      database,
      logger: new JsonLogger("silent", () => {}),
      metrics: new HttpMetrics(false),
      governance: rig.governance,
      reliability: DEFAULT_OUTBOX_RELIABILITY,
    });
    worker = app.get(OutboxWorker);
    const keys = new ApiKeysRepository();
    const adminKey = issueApiKey("admin", "admin", new Date());
    const operatorKey = issueApiKey("operator", "operator", new Date());
    await keys.insert(database.db, adminKey.row);
    await keys.insert(database.db, operatorKey.row);
    admin = adminKey.token;
    operator = operatorKey.token;
  });

  after(async () => {
    await app?.close();
    await database?.close();
    await rig?.close();
  });

  it("signs the lock only once the proxy exists, and both confirm", async () => {
    const customerId = await newCustomer("Behind");
    const origination = await post(`/v1/customers/${customerId}/governance/proxy`, {});
    const [deployer] = await rig.conn.ethers.getSigners();
    await mintGov(rig.stack, deployer!, origination.proxyAddress, parseEther("10"));
    const lock = await post(`/v1/customers/${customerId}/governance/lock`, {
      wad: parseEther("4").toString(),
    });

    while ((await worker.drain()) > 0) {
      // Until nothing is left to claim.
    }
    assert.equal((await statusOf(origination.operationId)).status, "confirmed");
    assert.deepEqual(await statusOf(lock.operationId), { status: "confirmed", failure_reason: null });
    assert.equal(await rig.stack.chief.deposits(origination.proxyAddress), parseEther("4"));
  });

  it("fails the lock with a reason when the origination failed, without sending anything", async () => {
    const customerId = await newCustomer("Never created");
    const origination = await post(`/v1/customers/${customerId}/governance/proxy`, {});
    const [deployer] = await rig.conn.ethers.getSigners();
    await mintGov(rig.stack, deployer!, origination.proxyAddress, parseEther("10"));
    const lock = await post(`/v1/customers/${customerId}/governance/lock`, {
      wad: parseEther("4").toString(),
    });
    // The origination fails before it is ever sent (as when the signer refuses it).
    await database.db.execute(
      sql`update operations set status = 'failed', failure_reason = 'refused by the signer (test)' where id = ${origination.operationId}`,
    );
    await database.db.execute(sql`delete from evm_outbox where operation_id = ${origination.operationId}`);
    const minedBefore = await rig.chain.minedNonce(rig.hot);

    while ((await worker.drain()) > 0) {
      // Until nothing is left to claim.
    }
    const after = await statusOf(lock.operationId);
    assert.equal(after.status, "failed");
    assert.match(after.failure_reason ?? "", /proxy was never created.*refused by the signer \(test\)/);
    assert.equal(await rig.chain.minedNonce(rig.hot), minedBefore, "nothing was sent");
    assert.equal(await rig.chain.isProxy(rig.governance.settings.factory, origination.proxyAddress), false);
  });
});
