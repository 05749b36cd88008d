/**
 * The worker never trusts the signer's answer blindly: it must be exactly the transaction asked
 * for, signed by the hot address's key. The first answer for an address is checked by recovering
 * the key, later ones by a libsecp256k1 recovery compared with that key; a broken or hostile
 * signer is caught either way and nothing it answered is recorded or sent.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Transaction, Wallet, getAddress } from "ethers";
import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "../../../db/src/database.js";
import type { SignerClient } from "../../../signer/src/client.js";
import { operationRow } from "../helpers.js";
import type { EvmRig } from "./evm-rig.js";
import { startWorkerRig, type WorkerRig } from "./worker-rig.js";

/** Rewrites every signed transaction the signer answers (one or a batch) with `tamper`. */
function tamperAnswers(client: SignerClient, tamper: (signedTx: string) => Promise<string>): () => void {
  const one = client.signEvm.bind(client);
  const batch = client.signEvmBatch.bind(client);
  client.signEvm = async (...args) => {
    const answer = await one(...args);
    return { ...answer, signedTx: await tamper(answer.signedTx) };
  };
  client.signEvmBatch = async (...args) =>
    Promise.all(
      (await batch(...args)).map(async (r) =>
        r.ok ? { ...r, signedTransaction: await tamper(r.signedTransaction) } : r,
      ),
    );
  return () => {
    client.signEvm = one;
    client.signEvmBatch = batch;
  };
}

/** The same transaction signed by a key that is not the hot key. */
const byAnotherKey = (signedTx: string) => {
  const t = Transaction.from(signedTx);
  t.signature = null;
  return Wallet.createRandom().signTransaction(t);
};

/** Another transaction (a different nonce), as a confused signer might answer. */
const anotherTransaction = (signedTx: string) => {
  const t = Transaction.from(signedTx);
  t.signature = null;
  t.nonce += 7;
  return Wallet.createRandom().signTransaction(t);
};

describe("the worker checks every answer of the hot signer (Hardhat, PGlite)", () => {
  let t: WorkerRig;
  let rig: EvmRig;
  let database: Database;
  let post: WorkerRig["post"];
  let customerId: string;

  const drainAll = () => t.drainAll();
  const freeAllLeases = () =>
    database.db.execute(sql`update evm_outbox set lease_until = null, lease_owner = null`);
  const recordedHashes = async () =>
    rowsOf<{ tx_hash: string }>(await database.db.execute(sql`select tx_hash from evm_attempts`)).map(
      (r) => r.tx_hash,
    );

  before(async () => {
    t = await startWorkerRig("answers");
    ({ rig, database, post } = t);
    customerId = await t.newCustomer("Answers");
  });

  after(async () => {
    await t?.close();
  });

  it("refuses the first answer for the hot address when another key signed it (recovery path)", async () => {
    const origination = await post(`/v1/customers/${customerId}/governance/proxy`, {});
    const minedBefore = await rig.chain.minedNonce(rig.hot);
    const restore = tamperAnswers(rig.signerClient, byAnotherKey);
    try {
      await drainAll();
    } finally {
      restore();
    }
    assert.equal((await operationRow(database, origination.operationId)).status, "queued");
    assert.deepEqual(await recordedHashes(), []);
    assert.equal(await rig.chain.minedNonce(rig.hot), minedBefore, "nothing was sent");

    // The honest signer again: the origination goes through, at the nonce nothing else used.
    await freeAllLeases();
    await drainAll();
    assert.equal((await operationRow(database, origination.operationId)).status, "confirmed");
    assert.equal(await rig.chain.minedNonce(rig.hot), minedBefore + 1n);
  });

  for (const [name, tamper] of [
    ["another key signed it (known-key path)", byAnotherKey],
    ["it is another transaction", anotherTransaction],
  ] as const) {
    it(`refuses a run's answers when ${name}, records and sends nothing`, async () => {
      const votes = [];
      for (let i = 0; i < 3; i++) {
        const candidate = getAddress("0x" + (i + 40).toString(16).padStart(2, "0").repeat(20));
        votes.push(await post(`/v1/customers/${customerId}/governance/vote`, { candidates: [candidate] }));
      }
      const minedBefore = await rig.chain.minedNonce(rig.hot);
      const hashesBefore = await recordedHashes();
      const restore = tamperAnswers(rig.signerClient, tamper);
      try {
        await drainAll();
      } finally {
        restore();
      }
      for (const v of votes) assert.equal((await operationRow(database, v.operationId)).status, "queued");
      assert.deepEqual(await recordedHashes(), hashesBefore);
      assert.equal(await rig.chain.minedNonce(rig.hot), minedBefore, "nothing was sent");

      await freeAllLeases();
      await drainAll();
      for (const v of votes) assert.equal((await operationRow(database, v.operationId)).status, "confirmed");
      assert.equal(await rig.chain.minedNonce(rig.hot), minedBefore + 3n);
    });
  }
});
