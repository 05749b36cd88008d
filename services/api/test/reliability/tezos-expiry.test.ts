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
import { TezosOutboxRepository } from "../../../db/src/repositories.js";
import { openMigratedPglite } from "../../../db/test/targets.js";
import { TezosOutboxWorker } from "../../src/staking/tezos.worker.js";
import {
  QUICK_BUMP_RELIABILITY,
  VALID_EVM,
  freeLease as freeOutboxLease,
  jsonPoster,
  operationRow,
  startTestApp,
} from "../helpers.js";
import { startTezosRig, type TezosRig } from "./tezos-rig.js";

describe("expired Tezos operations are re-forged on a fresh branch (sandbox, PGlite)", () => {
  let rig: TezosRig;
  let database: Database;
  let app: NestFastifyApplication;
  let worker: TezosOutboxWorker;
  let customerId: string;
  let post: ReturnType<typeof jsonPoster>;

  const operation = (id: string) => operationRow(database, id);
  const freeLease = (id: string) => freeOutboxLease(database, "tezos_outbox", id);

  before(async () => {
    rig = await startTezosRig();
    database = await openMigratedPglite();
    const test = await startTestApp(
      database,
      {},
      {
        logLevel: "silent",
        staking: { chain: rig.chain },
        reliability: QUICK_BUMP_RELIABILITY,
      },
    );
    app = test.app;
    worker = app.get(TezosOutboxWorker);
    post = jsonPoster(app, test.keys.operator, "tz");
    customerId = (
      await post(
        "/v1/customers",
        {
          name: "Tezos expiry",
          evmColdAddress: VALID_EVM,
          tezosColdAddress: rig.sandbox.accounts[2]!.address,
        },
        test.keys.admin,
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
