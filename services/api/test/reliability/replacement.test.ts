/**
 * The worker's fee bump through the signer's replacement rule (decision 0963), on Hardhat's EVM
 * with automine off: the signer's own next nonce never moves, a replacement the signer signed but
 * the service never recorded (a lost answer) is recovered by asking one bump above, and a
 * replacement the signer refuses leaves the stuck attempt waiting and still confirmable.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Transaction, getAddress } from "ethers";
import type { Database } from "../../../db/src/database.js";
import { EvmAttemptsRepository } from "../../../db/src/repositories-outbox-reliability.js";
import { bumpFees, raiseBy, type Fees } from "../../src/outbox/fees.js";
import type { OutboxWorker } from "../../src/outbox/outbox.worker.js";
import { QUICK_BUMP_RELIABILITY, freeLease as freeOutboxLease, operationRow } from "../helpers.js";
import type { EvmRig } from "./evm-rig.js";
import { startWorkerRig, type WorkerRig } from "./worker-rig.js";

const GWEI = 1_000_000_000n;

describe("fee bumps as signer replacements (Hardhat, automine off, PGlite)", () => {
  let t: WorkerRig;
  let rig: EvmRig;
  let database: Database;
  let worker: OutboxWorker;
  let customerId: string;
  let post: WorkerRig["post"];
  let logs: string[];

  const status = async (id: string) => {
    const { status, tx_hash } = await operationRow(database, id);
    return { status, tx_hash };
  };
  const freeLease = (id: string) => freeOutboxLease(database, "evm_outbox", id);
  const mine = (blocks = 1) => rig.rpc("hardhat_mine", ["0x" + blocks.toString(16)]);
  const attempts = (id: string) => new EvmAttemptsRepository().listFor(database.db, id);
  const nextNonce = async () => (await rig.signerClient.key("evm-hot")).nextNonce;

  before(async () => {
    t = await startWorkerRig("replacement", { reliability: QUICK_BUMP_RELIABILITY, logLevel: "info" });
    ({ rig, database, worker, post, logLines: logs } = t);
    customerId = await t.newCustomer("Replacement");
    const proxy = await post(`/v1/customers/${customerId}/governance/proxy`, {});
    await worker.drain();
    assert.equal((await status(proxy.operationId)).status, "confirmed");
  });

  after(async () => {
    await rig?.rpc("evm_setAutomine", [true]);
    await t?.close();
  });

  /** A vote signed and sent, then priced out of the next blocks, old enough to be bumped. */
  const stuckVote = async (candidate: string) => {
    await rig.rpc("evm_setAutomine", [false]);
    const { operationId } = await post(`/v1/customers/${customerId}/governance/vote`, {
      candidates: [candidate],
    });
    await worker.drain();
    assert.equal((await status(operationId)).status, "broadcast");
    const [first] = await attempts(operationId);
    await rig.rpc("hardhat_setNextBlockBaseFeePerGas", ["0x" + (first!.maxFeePerGas * 8n).toString(16)]);
    await mine(2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await freeLease(operationId);
    return { operationId, first: first! };
  };

  /** Has the signer sign, out of band, the replacement of `first` at `fees` (never sent). */
  const signOutOfBand = async (first: { rawTx: string }, fees: Fees) => {
    const previous = Transaction.from(first.rawTx);
    const unsigned = Transaction.from({
      type: 2,
      chainId: previous.chainId,
      nonce: previous.nonce,
      to: previous.to,
      data: previous.data,
      value: 0n,
      gasLimit: previous.gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      accessList: [],
    });
    return rig.signerClient.signEvm("evm-hot", unsigned.unsignedSerialized);
  };

  it("recovers a replacement the signer signed for an answer that never arrived", async () => {
    const { operationId, first } = await stuckVote(getAddress("0x" + "d1".repeat(20)));
    const signerNext = await nextNonce();
    // Exactly what the worker is about to ask for: the signer now holds it as "last signed".
    const lost = bumpFees(first, await rig.chain.feeData(), rig.governance.settings, 1250n)!;
    await signOutOfBand(first, lost);
    await worker.drain();
    const [a, b] = await attempts(operationId);
    assert.ok(b, "the replacement was signed and recorded");
    assert.equal(b.nonce, a!.nonce);
    // One bump above the lost one, which the signer requires of the next replacement.
    assert.ok(
      b.maxFeePerGas >= raiseBy(lost.maxFeePerGas, 1250n),
      `${b.maxFeePerGas} vs ${lost.maxFeePerGas}`,
    );
    assert.ok(b.maxPriorityFeePerGas >= raiseBy(lost.maxPriorityFeePerGas, 1250n));
    assert.equal(await nextNonce(), signerNext, "the signer's next nonce never moved");

    await mine(1);
    await freeLease(operationId);
    await worker.drain();
    assert.deepEqual(await status(operationId), { status: "confirmed", tx_hash: b.txHash });
    const onChain = (await rig.hotTransactions()).filter((t) => BigInt(t.nonce) === a!.nonce);
    assert.deepEqual(
      onChain.map((t) => t.hash),
      [b.txHash],
    );
  });

  it("leaves the stuck attempt waiting when the signer refuses the replacement", async () => {
    const { operationId, first } = await stuckVote(getAddress("0x" + "d2".repeat(20)));
    const signerNext = await nextNonce();
    // Out of band, far above anything the worker's bump can reach within its caps.
    await signOutOfBand(first, { maxFeePerGas: 90n * GWEI, maxPriorityFeePerGas: 2n * GWEI });
    logs.length = 0;
    await worker.drain();
    assert.equal((await attempts(operationId)).length, 1, "nothing recorded for a refused replacement");
    assert.equal((await status(operationId)).status, "broadcast");
    assert.equal(await nextNonce(), signerNext);
    const refusal = logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l["msg"] === "replacement refused by the signer; the stuck transaction waits");
    assert.ok(refusal, "the refusal is logged");
    assert.equal(refusal["reason"], "EVM_NONCE_REPLACEMENT_REFUSED");

    // The original is still valid: once the base fee falls it is mined and confirmed.
    await rig.rpc("hardhat_setNextBlockBaseFeePerGas", ["0x1"]);
    await mine(1);
    await freeLease(operationId);
    await worker.drain();
    assert.deepEqual(await status(operationId), { status: "confirmed", tx_hash: first.txHash });
  });
});
