/**
 * Two API processes on one PostgreSQL drain the same EVM outbox concurrently: every intent is
 * signed once and sent once, the hot key's nonces on chain are exactly the next N with no gap or
 * reuse, and every operation ends confirmed.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Wallet } from "ethers";
import { sql } from "drizzle-orm";
import { openDatabase, rowsOf, type Database } from "../../../db/src/database.js";
import { ApiKeysRepository } from "../../../db/src/repositories.js";
import { postgresSkipReason, startPostgres, type TestPostgres } from "../../../db/test/postgres.js";
import { issueApiKey } from "../../src/auth/api-key-tokens.js";
import { VALID_TZ1 } from "../helpers.js";
import { postJson, startChildApi, waitFor, type ChildApi } from "./child-api.js";
import { startEvmRig, type EvmRig } from "./evm-rig.js";

const skip = postgresSkipReason();
const INTENTS = 12;

describe("two service instances drain one outbox (PostgreSQL, two child processes)", { skip }, () => {
  let rig: EvmRig;
  let pg: TestPostgres;
  let database: Database;
  let apis: ChildApi[] = [];
  let admin: string;
  let operator: string;
  let seq = 0;

  const post = (api: ChildApi, route: string, body: unknown, token = operator) =>
    postJson(api.url, route, body, token, `two-${++seq}`);

  before(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "coldpath-two-"));
    [rig, pg] = await Promise.all([startEvmRig(), startPostgres()]);
    database = await openDatabase({ kind: "postgres", url: pg.url });
    const keys = new ApiKeysRepository();
    const a = issueApiKey("admin", "admin", new Date());
    const o = issueApiKey("operator", "operator", new Date());
    await keys.insert(database.db, a.row);
    await keys.insert(database.db, o.row);
    admin = a.token;
    operator = o.token;
    const env = {
      ...rig.env,
      DATABASE_URL: pg.url,
      POLICY_ENFORCEMENT: "off",
      // Short runs make the two instances take turns on the one hot address.
      OUTBOX_PIPELINE_DEPTH: "2",
    };
    apis = await Promise.all([0, 1].map((i) => startChildApi(env, path.join(dir, `api-${i}.log`))));
  });

  after(async () => {
    await Promise.all(apis.map((api) => api.kill()));
    await database?.close();
    await pg?.stop();
    await rig?.close();
  });

  it(`sends each of ${INTENTS} intents exactly once, at consecutive nonces, all confirmed`, async () => {
    const minedBefore = await rig.chain.minedNonce(rig.hot);
    const ids: string[] = [];
    // Intents arrive through both instances while both workers are already polling. Each instance
    // waits until its intent is settled before sending the next, so every new intent finds both
    // workers idle and they race for it: a worker that finds a queued run takes all of it, and one
    // still draining when the next intent lands claims it first, so intents sent back to back
    // would let one worker take everything and the race this test is about would not happen.
    await Promise.all(
      [0, 1].map(async (i) => {
        for (let k = 0; k < INTENTS / 2; k++) {
          const api = apis[i]!;
          const customer = await post(
            api,
            "/v1/customers",
            {
              name: `Two ${i}-${k}`,
              evmColdAddress: Wallet.createRandom().address,
              tezosColdAddress: VALID_TZ1,
            },
            admin,
          );
          const { operationId } = await post(api, `/v1/customers/${customer.id}/governance/proxy`, {});
          ids.push(operationId);
          await waitFor(
            `intent ${operationId} settled`,
            async () =>
              ["confirmed", "failed"].includes(
                rowsOf<{ status: string }>(
                  await database.db.execute(sql`select status from operations where id = ${operationId}`),
                )[0]?.status ?? "",
              ),
            20_000,
            25,
          );
        }
      }),
    );
    const statuses = async () =>
      rowsOf<{ id: string; status: string; tx_hash: string | null; failure_reason: string | null }>(
        await database.db.execute(
          sql`select id, status, tx_hash, failure_reason from operations where chain = 'evm'`,
        ),
      );
    await waitFor(
      "every intent confirmed",
      async () => {
        const rows = await statuses();
        const failed = rows.find((r) => r.status === "failed");
        assert.equal(failed, undefined, failed?.failure_reason ?? "");
        return rows.length === INTENTS && rows.every((r) => r.status === "confirmed");
      },
      45_000,
      200,
    );
    const rows = await statuses();
    assert.deepEqual(new Set(rows.map((r) => r.id)), new Set(ids));

    // Chain truth: exactly N transactions from the hot key, nonces consecutive, one per intent.
    assert.equal(await rig.chain.minedNonce(rig.hot), minedBefore + BigInt(INTENTS));
    const fromHot = (await rig.hotTransactions()).filter((t) => BigInt(t.nonce) >= minedBefore);
    assert.deepEqual(
      fromHot.map((t) => BigInt(t.nonce)),
      Array.from({ length: INTENTS }, (_, k) => minedBefore + BigInt(k)),
    );
    assert.deepEqual(new Set(fromHot.map((t) => t.hash)), new Set(rows.map((r) => r.tx_hash)));

    // Database truth: one signature per intent, one `signed` audit entry per intent.
    const attempts = rowsOf<{ operation_id: string; signed_by: string }>(
      await database.db.execute(sql`select operation_id, signed_by from evm_attempts`),
    );
    assert.equal(attempts.length, INTENTS);
    assert.equal(new Set(attempts.map((a) => a.operation_id)).size, INTENTS);
    const signedAudit = rowsOf<{ n: number }>(
      await database.db.execute(
        sql`select count(*)::int as n from audit_log where action = 'operation.signed'`,
      ),
    )[0]!.n;
    assert.equal(signedAudit, INTENTS);
    const signers = new Set(attempts.map((a) => a.signed_by));
    console.log(
      `# signatures by worker: ${[...signers].map((s) => attempts.filter((a) => a.signed_by === s).length).join(" + ")}`,
    );
    assert.equal(signers.size, 2, "both instances signed part of the outbox");
  });
});
