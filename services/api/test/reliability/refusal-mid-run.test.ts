/**
 * The worker keeps two signer chunks in flight (decision 1042). When the signer refuses an item
 * of the first chunk, the second chunk, already asked for, must come to nothing: the signer
 * refuses it as a nonce gap, nothing of it is recorded or sent, and its votes are signed in the
 * next pass at the nonces the refusal gave back. Every vote ends confirmed with exactly one
 * transaction, at consecutive nonces, and the refused one ends failed with the signer's reason.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Wallet, getAddress } from "ethers";
import { sql } from "drizzle-orm";
import { rowsOf } from "../../../db/src/database.js";
import { customerSalt } from "../../src/governance/create2.js";
import { operationRow } from "../helpers.js";
import { startWorkerRig, type WorkerRig } from "./worker-rig.js";

const BEFORE = 10;
const AFTER = 30;

describe("a signer refusal in the first of two chunks in flight (Hardhat, PGlite)", () => {
  let t: WorkerRig;
  let good: string;
  let foreign: string;

  before(async () => {
    t = await startWorkerRig("refusal-mid-run");
    good = await t.newCustomer("Signed proxy");
    await t.post(`/v1/customers/${good}/governance/proxy`, {});
    await t.drainAll();
    // Someone else creates the second customer's proxy first: the signer never signed its
    // creation, so it refuses every call to it (EVM_UNKNOWN_TARGET).
    const cold = Wallet.createRandom().address;
    foreign = await t.newCustomer("Foreign proxy", cold);
    await t.post(`/v1/customers/${foreign}/governance/proxy`, {});
    const [deployer] = await t.rig.conn.ethers.getSigners();
    await (
      await t.rig.stack.factory.connect(deployer!).createProxy(customerSalt(foreign), cold, t.rig.hot)
    ).wait();
    await t.drainAll();
  });

  after(async () => {
    await t?.close();
  });

  it("fails the refused vote alone and signs every other vote once, at consecutive nonces", async () => {
    const vote = async (customer: string, i: number): Promise<string> =>
      (
        await t.post(`/v1/customers/${customer}/governance/vote`, {
          candidates: [getAddress("0x" + (i + 16).toString(16).padStart(2, "0").repeat(20))],
        })
      ).operationId;
    const ids: string[] = [];
    for (let i = 0; i < BEFORE; i++) ids.push(await vote(good, i));
    const refused = await vote(foreign, BEFORE);
    for (let i = 0; i < AFTER; i++) ids.push(await vote(good, BEFORE + 1 + i));
    const nonceBefore = await t.rig.chain.pendingNonce(t.rig.hot);

    await t.drainAll();

    const failed = await operationRow(t.database, refused);
    assert.equal(failed?.status, "failed");
    assert.match(failed?.failure_reason ?? "", /EVM_UNKNOWN_TARGET/);
    for (const id of ids) assert.equal((await operationRow(t.database, id))?.status, "confirmed", id);
    const attempts = rowsOf<{ operation_id: string; nonce: string }>(
      await t.database.db.execute(sql`select operation_id, nonce::text from evm_attempts`),
    ).filter((a) => ids.includes(a.operation_id) || a.operation_id === refused);
    assert.equal(attempts.length, ids.length, "one signed attempt per vote, none for the refused one");
    const nonces = attempts.map((a) => BigInt(a.nonce)).sort((a, b) => (a < b ? -1 : 1));
    assert.deepEqual(
      nonces,
      ids.map((_, k) => nonceBefore + BigInt(k)),
      "no gap where the refused vote was",
    );
    assert.equal(await t.rig.chain.minedNonce(t.rig.hot), nonceBefore + BigInt(ids.length));
  });
});
