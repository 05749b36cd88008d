/**
 * A hot action queued right behind its proxy's origination. Deposits may reach the predicted
 * address before the proxy exists, so a lock can be accepted at once; the pipelined worker must not
 * estimate or sign it against the still-empty account (the estimate would be ≈21k gas and the
 * transaction would run out of gas once the code exists). It waits for the origination, and fails
 * with a reason if the origination itself failed.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseEther } from "ethers";
import { sql } from "drizzle-orm";
import { mintGov } from "../../../../deploy/lib/stack.js";
import type { Database } from "../../../db/src/database.js";
import type { OutboxWorker } from "../../src/outbox/outbox.worker.js";
import { proxyInterface } from "../../src/governance/abi.js";
import { freeLease, operationRow } from "../helpers.js";
import type { EvmRig } from "./evm-rig.js";
import { startWorkerRig, type WorkerRig } from "./worker-rig.js";

describe("a hot action queued behind its proxy's origination (Hardhat, PGlite)", () => {
  let t: WorkerRig;
  let rig: EvmRig;
  let database: Database;
  let worker: OutboxWorker;
  let post: WorkerRig["post"];

  const statusOf = async (operationId: string) => {
    const { status, failure_reason } = await operationRow(database, operationId);
    return { status, failure_reason };
  };
  const newCustomer = (name: string) => t.newCustomer(name);

  before(async () => {
    t = await startWorkerRig("behind");
    ({ rig, database, worker, post } = t);
  });

  after(async () => {
    await t?.close();
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

describe("simulation ahead of a run (Hardhat, PGlite, runs of one)", () => {
  let t: WorkerRig;

  before(async () => {
    t = await startWorkerRig("ahead", { reliability: { pipelineDepth: 1 } });
  });

  after(async () => {
    await t?.close();
  });

  it("never simulates a call to a proxy that does not exist yet ahead of its run", async () => {
    const customerId = await t.newCustomer("Ahead");
    const origination = await t.post(`/v1/customers/${customerId}/governance/proxy`, {});
    const [deployer] = await t.rig.conn.ethers.getSigners();
    await mintGov(t.rig.stack, deployer!, origination.proxyAddress, parseEther("10"));
    const lock = await t.post(`/v1/customers/${customerId}/governance/lock`, {
      wad: parseEther("4").toString(),
    });
    // More than the proxy holds: against the empty account it would look fine, against the proxy
    // it reverts, so only a simulation made once the proxy exists catches it before sending.
    const tooMuch = proxyInterface.encodeFunctionData("lock(uint256)", [parseEther("11")]);
    await t.database.db.execute(
      sql`update evm_outbox set data = ${tooMuch} where operation_id = ${lock.operationId}`,
    );
    const minedBefore = await t.rig.chain.minedNonce(t.rig.hot);

    // The lock waits for its proxy (backing off); taken again at once, well within the age a
    // simulation made ahead may be used at, it must be simulated against the proxy itself.
    await t.drainAll();
    await freeLease(t.database, "evm_outbox", lock.operationId);
    await t.drainAll();
    const { status, failure_reason } = await operationRow(t.database, lock.operationId);
    assert.equal((await operationRow(t.database, origination.operationId)).status, "confirmed");
    assert.equal(status, "failed");
    assert.match(failure_reason ?? "", /would revert/);
    assert.equal(await t.rig.chain.minedNonce(t.rig.hot), minedBefore + 1n, "only the origination was sent");
  });
});
