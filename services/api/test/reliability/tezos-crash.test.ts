/**
 * SIGKILL of the API (a child process on a throwaway PostgreSQL) right after the Tezos worker
 * injected an operation and before it recorded the broadcast: after a restart the operation is
 * confirmed and the hot account has exactly one such operation on chain (the in-repo sandbox).
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { openDatabase, rowsOf, type Database } from "../../../db/src/database.js";
import { ApiKeysRepository } from "../../../db/src/repositories.js";
import { postgresSkipReason, startPostgres, type TestPostgres } from "../../../db/test/postgres.js";
import { issueApiKey } from "../../src/auth/api-key-tokens.js";
import { VALID_EVM } from "../helpers.js";
import { postJson, startChildApi, waitFor, type ChildApi } from "./child-api.js";
import { startTezosRig, type TezosRig } from "./tezos-rig.js";

const skip = postgresSkipReason();

describe("SIGKILL of the API after a Tezos injection (PostgreSQL, child process, sandbox)", { skip }, () => {
  let rig: TezosRig;
  let pg: TestPostgres;
  let database: Database;
  let dir: string;
  let admin: string;
  let operator: string;
  let running: ChildApi | undefined;
  let seq = 0;

  const env = (extra: Record<string, string> = {}) => ({
    ...rig.env,
    DATABASE_URL: pg.url,
    OUTBOX_LEASE_MS: "1500",
    POLICY_ENFORCEMENT: "off",
    ...extra,
  });
  const post = (api: ChildApi, route: string, body: unknown, token = operator) =>
    postJson(api.url, route, body, token, `tz-crash-${++seq}`);
  const operation = async (id: string) =>
    rowsOf<{ status: string; tx_hash: string | null; failure_reason: string | null }>(
      await database.db.execute(sql`select status, tx_hash, failure_reason from operations where id = ${id}`),
    )[0]!;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "coldpath-tezos-crash-"));
    [rig, pg] = await Promise.all([startTezosRig(), startPostgres()]);
    database = await openDatabase({ kind: "postgres", url: pg.url });
    const keys = new ApiKeysRepository();
    const a = issueApiKey("admin", "admin", new Date());
    const o = issueApiKey("operator", "operator", new Date());
    await keys.insert(database.db, a.row);
    await keys.insert(database.db, o.row);
    admin = a.token;
    operator = o.token;
  });

  after(async () => {
    await running?.kill();
    await database?.close();
    await pg?.stop();
    await rig?.close();
  });

  it("confirms the injected origination after restart, with one origination on chain", async () => {
    const marker = path.join(dir, "tezos-after-broadcast.json");
    const api = await startChildApi(
      env({ COLDPATH_TEST_PAUSE_AT: "tezos-after-broadcast", COLDPATH_TEST_PAUSE_FILE: marker }),
      path.join(dir, "api-paused.log"),
    );
    running = api;
    const customerId = (
      await post(
        api,
        "/v1/customers",
        {
          name: "Tezos crash",
          evmColdAddress: VALID_EVM,
          tezosColdAddress: rig.sandbox.accounts[2]!.address,
        },
        admin,
      )
    ).id;
    const { operationId } = await post(api, `/v1/customers/${customerId}/staking/contract`, {});
    await waitFor("the Tezos worker to pause after injecting", () => existsSync(marker), 30_000, 50);
    assert.equal(
      (JSON.parse(readFileSync(marker, "utf8")) as { operationId: string }).operationId,
      operationId,
    );
    await api.kill();
    running = undefined;

    const injected = await operation(operationId);
    assert.equal(injected.status, "signed", "killed before the broadcast was recorded");
    const before = rig.hotOperations().filter((o) => o.kind === "origination");
    assert.deepEqual(
      before.map((o) => o.hash),
      [injected.tx_hash],
      "the node already included it",
    );

    const again = await startChildApi(env(), path.join(dir, "api-recovered.log"));
    running = again;
    await waitFor(`operation ${operationId} confirmed`, async () => {
      const op = await operation(operationId);
      assert.notEqual(op.status, "failed", op.failure_reason ?? "");
      return op.status === "confirmed";
    });
    await again.stop();
    running = undefined;

    const done = await operation(operationId);
    assert.equal(done.tx_hash, injected.tx_hash);
    assert.deepEqual(
      rig
        .hotOperations()
        .filter((o) => o.kind === "origination")
        .map((o) => o.hash),
      [injected.tx_hash],
    );
    const contract = rowsOf<{ contract_address: string | null }>(
      await database.db.execute(
        sql`select contract_address from staking_contracts where customer_id = ${customerId}`,
      ),
    )[0]!;
    assert.match(contract.contract_address ?? "", /^KT1/);
  });
});
