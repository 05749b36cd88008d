/**
 * Fee-bump resubmission on Hardhat's EVM with automine off: a transaction priced under the base
 * fee is stuck, the worker re-signs it at the same nonce with fees raised by at least 12.5 %,
 * records both attempts, and confirms whichever the chain mines; the hot key never has two
 * transactions on chain for one intent.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Transaction, getAddress } from "ethers";
import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "../../../db/src/database.js";
import {
  EvmAttemptsRepository,
  type EvmAttemptRow,
} from "../../../db/src/repositories-outbox-reliability.js";
import { bumpFees, raiseBy } from "../../src/outbox/fees.js";
import type { OutboxWorker } from "../../src/outbox/outbox.worker.js";
import { QUICK_BUMP_RELIABILITY, freeLease as freeOutboxLease, operationRow } from "../helpers.js";
import type { EvmRig } from "./evm-rig.js";
import { startWorkerRig, type WorkerRig } from "./worker-rig.js";

const GWEI = 1_000_000_000n;
const caps = { maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: 2n * GWEI };

describe("bump rule", () => {
  it("raises both fields by at least 12.5 %, rounding up", () => {
    assert.equal(raiseBy(8n, 1250n), 9n);
    assert.equal(raiseBy(1_000_000_000n, 1250n), 1_125_000_000n);
    const bumped = bumpFees(
      { maxFeePerGas: 3n * GWEI, maxPriorityFeePerGas: GWEI },
      { baseFeePerGas: GWEI, maxPriorityFeePerGas: GWEI },
      caps,
      1250n,
    )!;
    assert.ok(bumped.maxFeePerGas >= (3n * GWEI * 1125n) / 1000n);
    assert.ok(bumped.maxPriorityFeePerGas >= (GWEI * 1125n) / 1000n);
  });

  it("follows a base fee that rose, within the cap", () => {
    const bumped = bumpFees(
      { maxFeePerGas: 3n * GWEI, maxPriorityFeePerGas: GWEI },
      { baseFeePerGas: 30n * GWEI, maxPriorityFeePerGas: GWEI },
      caps,
      1250n,
    )!;
    assert.equal(bumped.maxFeePerGas, 61n * GWEI);
    assert.ok(bumped.maxFeePerGas <= caps.maxFeePerGas);
  });

  it("refuses to bump when the caps leave no room for the required raise", () => {
    assert.equal(
      bumpFees(
        { maxFeePerGas: 95n * GWEI, maxPriorityFeePerGas: GWEI },
        { baseFeePerGas: GWEI, maxPriorityFeePerGas: GWEI },
        caps,
        1250n,
      ),
      null,
    );
    assert.equal(
      bumpFees(
        { maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 2n * GWEI },
        { baseFeePerGas: GWEI, maxPriorityFeePerGas: GWEI },
        caps,
        1250n,
      ),
      null,
    );
  });
});

describe("stuck EVM transactions are re-signed at the same nonce (Hardhat, automine off, PGlite)", () => {
  let t: WorkerRig;
  let rig: EvmRig;
  let database: Database;
  let worker: OutboxWorker;
  let customerId: string;
  let post: WorkerRig["post"];

  const operation = (id: string) => operationRow(database, id);
  const freeLease = (id: string) => freeOutboxLease(database, "evm_outbox", id);
  const mine = (blocks = 1) => rig.rpc("hardhat_mine", ["0x" + blocks.toString(16)]);

  before(async () => {
    t = await startWorkerRig("bump", {
      reliability: QUICK_BUMP_RELIABILITY,
      logLevel: process.env.TEST_LOG === "1" ? "info" : "silent",
    });
    ({ rig, database, worker, post } = t);
    customerId = await t.newCustomer("Bump");
    const proxy = await post(`/v1/customers/${customerId}/governance/proxy`, {});
    await worker.drain();
    assert.equal((await operation(proxy.operationId)).status, "confirmed");
  });

  after(async () => {
    await rig?.rpc("evm_setAutomine", [true]);
    await t?.close();
  });

  /** Queues a vote, lets the worker sign and send it, then prices it out of the next blocks. */
  const stuckVote = async (candidate: string) => {
    await rig.rpc("evm_setAutomine", [false]);
    const { operationId } = await post(`/v1/customers/${customerId}/governance/vote`, {
      candidates: [candidate],
    });
    await worker.drain();
    assert.equal((await operation(operationId)).status, "broadcast");
    const [first] = await new EvmAttemptsRepository().listFor(database.db, operationId);
    // A base fee above the first attempt's fee cap: it cannot be mined until the fees go up.
    await rig.rpc("hardhat_setNextBlockBaseFeePerGas", ["0x" + (first!.maxFeePerGas * 8n).toString(16)]);
    await mine(2);
    assert.equal(await rig.chain.receipt(first!.txHash), null);
    return { operationId, first: first! };
  };

  it("re-signs with the same nonce and higher fees, records both attempts and confirms the mined one", async () => {
    const before = await rig.chain.minedNonce(rig.hot);
    const { operationId } = await stuckVote(getAddress("0x" + "c4".repeat(20)));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await freeLease(operationId);
    await worker.drain();
    const attempts = await new EvmAttemptsRepository().listFor(database.db, operationId);
    assert.equal(attempts.length, 2, "one replacement");
    const [a, b] = attempts as [EvmAttemptRow, EvmAttemptRow];
    assert.equal(a.nonce, b.nonce);
    assert.notEqual(a.txHash, b.txHash);
    assert.ok(b.maxFeePerGas >= raiseBy(a.maxFeePerGas, 1250n));
    assert.ok(b.maxPriorityFeePerGas >= raiseBy(a.maxPriorityFeePerGas, 1250n));
    assert.ok(b.maxFeePerGas <= caps.maxFeePerGas && b.maxPriorityFeePerGas <= caps.maxPriorityFeePerGas);
    assert.equal(Transaction.from(b.rawTx).nonce, Number(a.nonce));
    assert.equal(Transaction.from(b.rawTx).data, Transaction.from(a.rawTx).data);
    // The signer is back at its own next nonce: the next intent signs normally.
    assert.equal((await rig.signerClient.key("evm-hot")).nextNonce, String(a.nonce + 1n));

    await mine(1);
    await freeLease(operationId);
    await worker.drain();
    assert.equal((await operation(operationId)).status, "confirmed");
    const done = await operation(operationId);
    assert.equal(done.tx_hash, b.txHash);
    assert.equal(await rig.chain.receipt(a.txHash), null);
    assert.equal(await rig.chain.minedNonce(rig.hot), before + 1n);
    const onChain = (await rig.hotTransactions()).filter((t) => BigInt(t.nonce) === a.nonce);
    assert.deepEqual(
      onChain.map((t) => t.hash),
      [b.txHash],
    );
    const audit = rowsOf<{ action: string }>(
      await database.db.execute(
        sql`select action from audit_log where payload->>'operationId' = ${operationId} order by seq`,
      ),
    ).map((r) => r.action);
    assert.deepEqual(audit.slice(-4), [
      "operation.signed",
      "operation.broadcast",
      "operation.fee_bumped",
      "operation.confirmed",
    ]);
  });

  it("confirms the first attempt when that is the one the chain mines", async () => {
    const before = await rig.chain.minedNonce(rig.hot);
    const { operationId, first } = await stuckVote(getAddress("0x" + "1b".repeat(20)));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await freeLease(operationId);
    await worker.drain();
    const attempts = await new EvmAttemptsRepository().listFor(database.db, operationId);
    assert.equal(attempts.length, 2);
    // The replacement never reaches a block (a node that lost it); the original is mined instead.
    await rig.rpc("hardhat_dropTransaction", [attempts[1]!.txHash]);
    await rig.rpc("hardhat_setNextBlockBaseFeePerGas", ["0x1"]);
    await rig.rpc("eth_sendRawTransaction", [first.rawTx]);
    await mine(1);
    await freeLease(operationId);
    await worker.drain();
    assert.equal((await operation(operationId)).status, "confirmed");
    assert.equal((await operation(operationId)).tx_hash, first.txHash);
    assert.equal(await rig.chain.minedNonce(rig.hot), before + 1n);
    const onChain = (await rig.hotTransactions()).filter((t) => BigInt(t.nonce) === first.nonce);
    assert.deepEqual(
      onChain.map((t) => t.hash),
      [first.txHash],
    );
  });

  it("does not bump while no block was produced", async () => {
    await rig.rpc("evm_setAutomine", [false]);
    const { operationId } = await post(`/v1/customers/${customerId}/governance/vote`, {
      candidates: [getAddress("0x" + "2c".repeat(20))],
    });
    await worker.drain();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await freeLease(operationId);
    await worker.drain();
    assert.equal((await new EvmAttemptsRepository().listFor(database.db, operationId)).length, 1);
    await rig.rpc("evm_setAutomine", [true]);
    await mine(1);
    await freeLease(operationId);
    await worker.drain();
    assert.equal((await operation(operationId)).status, "confirmed");
  });
});
