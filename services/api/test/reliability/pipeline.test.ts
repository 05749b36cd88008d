/**
 * Pipelined signing: a run of queued votes of one hot address is signed in one batch at
 * consecutive nonces and all of it is sent before any receipt is awaited. Prints the worker's
 * signed-and-confirmed rate next to a raw "ethers sign + one insert" rate measured in the same run
 * (the baseline), for information; the assertions are about order and uniqueness only.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Transaction, Wallet, getAddress } from "ethers";
import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "../../../db/src/database.js";
import type { OutboxWorker } from "../../src/outbox/outbox.worker.js";
import { DEFAULT_OUTBOX_RELIABILITY } from "../../src/outbox/reliability-settings.js";
import type { EvmRig } from "./evm-rig.js";
import { startWorkerRig, type WorkerRig } from "./worker-rig.js";

const VOTES = 64;

describe("pipelined EVM signing (Hardhat, PGlite)", () => {
  let t: WorkerRig;
  let rig: EvmRig;
  let database: Database;
  let worker: OutboxWorker;
  let customerId: string;
  let post: WorkerRig["post"];

  before(async () => {
    t = await startWorkerRig("pipe");
    ({ rig, database, worker, post } = t);
    customerId = await t.newCustomer("Pipeline");
    await post(`/v1/customers/${customerId}/governance/proxy`, {});
    await worker.drain();
  });

  after(async () => {
    await t?.close();
  });

  it(`signs a run of ${VOTES} votes at consecutive nonces and sends a run before awaiting any receipt`, async () => {
    const ids: string[] = [];
    for (let i = 0; i < VOTES; i++) {
      const candidate = getAddress("0x" + (i + 16).toString(16).padStart(2, "0").repeat(20));
      ids.push(
        (await post(`/v1/customers/${customerId}/governance/vote`, { candidates: [candidate] })).operationId,
      );
    }
    const minedBefore = await rig.chain.minedNonce(rig.hot);
    const prof: Record<string, [number, number]> = {};
    if (process.env.TEST_PROFILE === "1") {
      for (const [obj, names] of [
        [
          rig.chain,
          [
            "estimateGas",
            "sendRawTransaction",
            "receipt",
            "blockNumber",
            "feeData",
            "pendingNonce",
            "minedNonce",
          ],
        ],
        [rig.signerClient, ["signEvm", "signEvmBatch"]],
      ] as const) {
        for (const n of names) {
          const o = obj as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
          const f = o[n]!.bind(obj);
          o[n] = async (...a: unknown[]) => {
            const t = performance.now();
            try {
              return await f(...a);
            } finally {
              const e = (prof[n] ??= [0, 0]);
              e[0]++;
              e[1] += performance.now() - t;
            }
          };
        }
      }
    }
    const started = performance.now();
    while ((await worker.drain()) > 0) {
      // Until nothing is left to claim.
    }
    const seconds = (performance.now() - started) / 1000;
    if (process.env.TEST_PROFILE === "1") console.log(JSON.stringify(prof));

    const ops = rowsOf<{ id: string; status: string; tx_hash: string }>(
      await database.db.execute(sql`select id, status, tx_hash from operations where kind like '%vote%'`),
    );
    assert.equal(ops.length, VOTES);
    assert.ok(
      ops.every((o) => o.status === "confirmed"),
      JSON.stringify(ops.map((o) => o.status)),
    );
    assert.equal(await rig.chain.minedNonce(rig.hot), minedBefore + BigInt(VOTES));
    const attempts = rowsOf<{ operation_id: string; raw_tx: string }>(
      await database.db.execute(sql`select operation_id, raw_tx from evm_attempts`),
    ).filter((a) => ids.includes(a.operation_id));
    assert.equal(attempts.length, VOTES, "one signature per vote");
    const nonces = attempts
      .map((a) => BigInt(Transaction.from(a.raw_tx).nonce))
      .sort((a, b) => (a < b ? -1 : 1));
    assert.deepEqual(
      nonces,
      Array.from({ length: VOTES }, (_, k) => minedBefore + BigInt(k)),
    );
    // Acceptance order is nonce order.
    const byOp = new Map(attempts.map((a) => [a.operation_id, BigInt(Transaction.from(a.raw_tx).nonce)]));
    assert.deepEqual(
      ids.map((id) => byOp.get(id)),
      nonces,
    );
    // The first run: every signature and send of it is audited before the first confirmation.
    const audit = rowsOf<{ action: string; operation_id: string }>(
      await database.db.execute(
        sql`select action, payload->>'operationId' as operation_id from audit_log where action like 'operation.%' order by seq`,
      ),
    ).filter((a) => ids.includes(a.operation_id));
    const firstConfirmed = audit.findIndex((a) => a.action === "operation.confirmed");
    const sentBefore = audit
      .slice(0, firstConfirmed)
      .filter((a) => a.action === "operation.broadcast").length;
    assert.ok(
      sentBefore >= Math.min(VOTES, DEFAULT_OUTBOX_RELIABILITY.pipelineDepth),
      `${sentBefore} sent before the first receipt`,
    );

    // The baseline, same process and database: ethers signature + one insert, sequentially.
    const wallet = Wallet.createRandom();
    await database.db.execute(
      sql`create temporary table bench_raw (id serial primary key, raw text not null)`,
    );
    const template = Transaction.from(attempts[0]!.raw_tx);
    let raw = 0;
    const rawStart = performance.now();
    while (performance.now() - rawStart < 1500) {
      const signed = await wallet.signTransaction({
        type: 2,
        chainId: 31337n,
        nonce: raw,
        to: template.to,
        data: template.data,
        gasLimit: template.gasLimit,
        maxFeePerGas: template.maxFeePerGas,
        maxPriorityFeePerGas: template.maxPriorityFeePerGas,
      });
      await database.db.execute(sql`insert into bench_raw (raw) values (${signed})`);
      raw++;
    }
    const rawPerSec = raw / ((performance.now() - rawStart) / 1000);
    console.log(
      `# pipelined worker: ${(VOTES / seconds).toFixed(1)} votes/s signed, sent and confirmed; ` +
        `raw sign+insert: ${rawPerSec.toFixed(1)}/s (ratio ${(VOTES / seconds / rawPerSec).toFixed(2)})`,
    );
  });
});
