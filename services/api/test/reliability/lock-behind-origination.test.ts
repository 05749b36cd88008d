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
import type { Database } from "../../../db/src/database.js";
import { openMigratedPglite } from "../../../db/test/targets.js";
import { OutboxWorker } from "../../src/outbox/outbox.worker.js";
import { DEFAULT_OUTBOX_RELIABILITY } from "../../src/outbox/reliability-settings.js";
import { VALID_TZ1, jsonPoster, operationRow, startTestApp } from "../helpers.js";
import { startEvmRig, type EvmRig } from "./evm-rig.js";

describe("a hot action queued behind its proxy's origination (Hardhat, PGlite)", () => {
  let rig: EvmRig;
  let database: Database;
  let app: NestFastifyApplication;
  let worker: OutboxWorker;
  let admin: string;
  let post: ReturnType<typeof jsonPoster>;

  const statusOf = async (operationId: string) => {
    const { status, failure_reason } = await operationRow(database, operationId);
    return { status, failure_reason };
  };
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
    const test = await startTestApp(
      database,
      {},
      { logLevel: "silent", governance: rig.governance, reliability: DEFAULT_OUTBOX_RELIABILITY },
    );
    app = test.app;
    worker = app.get(OutboxWorker);
    admin = test.keys.admin;
    post = jsonPoster(app, test.keys.operator, "behind");
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
