/**
 * The worker confirms a broadcast run in the background while it signs the next one, so the next
 * run is simulated against a chain that may not hold the previous run yet. A free queued right
 * behind its lock then looks like a revert; it must wait for the lock to be mined, not fail.
 * Blocks are mined only when the test says so here (automine off).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Interface, Transaction, getAddress, parseEther } from "ethers";
import { sql } from "drizzle-orm";
import { mintGov } from "../../../../deploy/lib/stack.js";
import { rowsOf, type Database } from "../../../db/src/database.js";
import { EvmRevertError } from "../../src/chains/evm-chain.js";
import { freeLease, operationRow } from "../helpers.js";
import type { EvmRig } from "./evm-rig.js";
import { startWorkerRig, type WorkerRig } from "./worker-rig.js";

describe("background confirmation with blocks on a timer (Hardhat, PGlite)", () => {
  let t: WorkerRig;
  let rig: EvmRig;
  let database: Database;
  let post: WorkerRig["post"];
  let customerId: string;
  let proxy: string;

  const statusOf = async (operationId: string) => {
    const { status, failure_reason } = await operationRow(database, operationId);
    return { status, failure_reason };
  };
  const drainAll = () => t.drainAll();

  before(async () => {
    t = await startWorkerRig("background");
    ({ rig, database, post } = t);
    customerId = await t.newCustomer("Background");
    const origination = await post(`/v1/customers/${customerId}/governance/proxy`, {});
    proxy = origination.proxyAddress;
    await drainAll();
    const [deployer] = await rig.conn.ethers.getSigners();
    await mintGov(rig.stack, deployer!, proxy, parseEther("10"));
  });

  after(async () => {
    await t?.close();
  });

  it("keeps a free queued behind its unmined lock waiting, then confirms both in order", async () => {
    await post(`/v1/customers/${customerId}/governance/lock`, { wad: parseEther("4").toString() });
    await drainAll();
    const lock = await post(`/v1/customers/${customerId}/governance/lock`, {
      wad: parseEther("4").toString(),
    });
    const free = await post(`/v1/customers/${customerId}/governance/free`, {
      wad: parseEther("4").toString(),
    });
    // The API checks amounts against the chain as it is; this free needs the lock before it too.
    const freeData = new Interface(["function free(uint256)"]).encodeFunctionData("free", [parseEther("8")]);
    await database.db.execute(
      sql`update evm_outbox set data = ${freeData} where operation_id = ${free.operationId}`,
    );
    const minedBefore = await rig.chain.minedNonce(rig.hot);

    // No block until the free was simulated as the run's follower and again as a head.
    await rig.rpc("evm_setAutomine", [false]);
    const estimate = rig.chain.estimateGas.bind(rig.chain);
    let freeReverts = 0;
    rig.chain.estimateGas = async (call, block) => {
      try {
        return await estimate(call, block);
      } catch (error) {
        if (call.data === freeData) freeReverts++;
        throw error;
      }
    };
    const miner = setInterval(() => {
      if (freeReverts >= 2) void rig.rpc("evm_mine", []);
    }, 20);
    try {
      await drainAll();
    } finally {
      clearInterval(miner);
      rig.chain.estimateGas = estimate;
      await rig.rpc("evm_setAutomine", [true]);
    }
    assert.equal(freeReverts, 2);
    assert.deepEqual(await statusOf(lock.operationId), { status: "confirmed", failure_reason: null });
    assert.deepEqual(await statusOf(free.operationId), { status: "queued", failure_reason: null });

    // Its back-off over, the free is signed against the chain that now holds the lock.
    await freeLease(database, "evm_outbox", free.operationId);
    await drainAll();
    assert.deepEqual(await statusOf(free.operationId), { status: "confirmed", failure_reason: null });
    assert.equal(await rig.stack.chief.deposits(proxy), 0n);
    assert.equal(await rig.chain.minedNonce(rig.hot), minedBefore + 2n, "one transaction each");
  });

  it("still fails a free that would revert once nothing of the address is on its way", async () => {
    await post(`/v1/customers/${customerId}/governance/lock`, { wad: parseEther("1").toString() });
    await drainAll();
    const free = await post(`/v1/customers/${customerId}/governance/free`, {
      wad: parseEther("1").toString(),
    });
    const tooMuch = new Interface(["function free(uint256)"]).encodeFunctionData("free", [parseEther("2")]);
    await database.db.execute(
      sql`update evm_outbox set data = ${tooMuch} where operation_id = ${free.operationId}`,
    );
    const minedBefore = await rig.chain.minedNonce(rig.hot);
    await drainAll();
    const after = await statusOf(free.operationId);
    assert.equal(after.status, "failed");
    assert.match(after.failure_reason ?? "", /would revert/);
    assert.equal(await rig.chain.minedNonce(rig.hot), minedBefore, "nothing was sent");
  });

  it("falls back to the node's estimate when a call reverts at its gas ceiling", async () => {
    const vote = await post(`/v1/customers/${customerId}/governance/vote`, {
      candidates: ["0x" + "5a".repeat(20)].map((a) => getAddress(a)),
    });
    // As on a chain where the call costs more than the table says.
    const simulate = rig.chain.simulate.bind(rig.chain);
    let simulated = 0;
    rig.chain.simulate = async () => {
      simulated++;
      throw new EvmRevertError("out of gas (test)");
    };
    try {
      await drainAll();
    } finally {
      rig.chain.simulate = simulate;
    }
    assert.equal(simulated, 1);
    assert.deepEqual(await statusOf(vote.operationId), { status: "confirmed", failure_reason: null });
    const { raw_tx } = rowsOf<{ raw_tx: string }>(
      await database.db.execute(sql`select raw_tx from evm_outbox where operation_id = ${vote.operationId}`),
    )[0]!;
    // The estimate plus the worker's margin, not the ceiling of a one-candidate vote (160,000).
    assert.notEqual(Transaction.from(raw_tx).gasLimit, 160_000n);

    // Where the simulation at the ceiling passes, the ceiling is the limit signed.
    const again = await post(`/v1/customers/${customerId}/governance/vote`, {
      candidates: ["0x" + "5b".repeat(20)].map((a) => getAddress(a)),
    });
    await drainAll();
    assert.equal((await statusOf(again.operationId)).status, "confirmed");
    const signed = rowsOf<{ raw_tx: string }>(
      await database.db.execute(sql`select raw_tx from evm_outbox where operation_id = ${again.operationId}`),
    )[0]!;
    assert.equal(Transaction.from(signed.raw_tx).gasLimit, 160_000n);
  });
});
