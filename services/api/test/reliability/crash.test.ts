/**
 * Crash tests with a real process kill: the API runs as a child process (its real entry point) on
 * a throwaway PostgreSQL, with Hardhat's EVM and the hot signer in this process. The test-only hook
 * `COLDPATH_TEST_PAUSE_AT` stops the worker right after the hot signer signed (before broadcast) or
 * right after the broadcast (before it is recorded); the test SIGKILLs the process there, starts
 * it again, and checks that exactly one transaction exists on chain for the intent and that the
 * operation ends confirmed.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
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

describe(
  "SIGKILL of the API between signing, broadcast and confirmation (PostgreSQL, child process)",
  { skip },
  () => {
    let rig: EvmRig;
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
      postJson(api.url, route, body, token, `crash-${++seq}`);
    const operation = async (id: string) =>
      rowsOf<{ status: string; tx_hash: string | null; failure_reason: string | null }>(
        await database.db.execute(
          sql`select status, tx_hash, failure_reason from operations where id = ${id}`,
        ),
      )[0]!;
    const attempts = async (id: string) =>
      rowsOf<{ n: number }>(
        await database.db.execute(
          sql`select count(*)::int as n from evm_attempts where operation_id = ${id}`,
        ),
      )[0]!.n;
    const confirmed = (id: string) =>
      waitFor(`operation ${id} confirmed`, async () => {
        const op = await operation(id);
        assert.notEqual(op.status, "failed", op.failure_reason ?? "");
        return op.status === "confirmed";
      });

    /**
     * Starts the API paused at `point`, lets `queue` queue an intent (or not), and kills the process
     * once the worker reached the pause with operation `expected` (or the one `queue` answered).
     */
    const crashAt = async (point: string, queue: (api: ChildApi) => Promise<string>) => {
      const marker = path.join(dir, `${point}.json`);
      const api = await startChildApi(
        env({ COLDPATH_TEST_PAUSE_AT: point, COLDPATH_TEST_PAUSE_FILE: marker }),
        path.join(dir, `api-${point}.log`),
      );
      running = api;
      const operationId = await queue(api);
      await waitFor(`the worker to pause at ${point}`, () => existsSync(marker), 30_000, 50);
      const paused = JSON.parse(readFileSync(marker, "utf8")) as { operationId: string; pid: number };
      assert.equal(paused.operationId, operationId);
      assert.equal(paused.pid, api.process.pid);
      await api.kill();
      running = undefined;
      return operationId;
    };

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "coldpath-crash-"));
      [rig, pg] = await Promise.all([startEvmRig(), startPostgres()]);
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

    // One intent through two kills: after the signature (nothing sent), then, in the restarted
    // process, right after it sent the stored bytes (mined, not recorded); a third start confirms.
    // Three process starts, because each costs seconds of module loading on these machines.
    let operationId: string;
    let minedBefore: bigint;
    let signedHash: string;

    it("killed after the signer signed, before broadcast: the restart sends the stored bytes, no new signature", async () => {
      minedBefore = await rig.chain.minedNonce(rig.hot);
      const signerNext = (await rig.signerClient.key("evm-hot")).nextNonce;
      operationId = await crashAt("after-sign", async (api) => {
        const customerId = (
          await post(
            api,
            "/v1/customers",
            { name: "Crash", evmColdAddress: Wallet.createRandom().address, tezosColdAddress: VALID_TZ1 },
            admin,
          )
        ).id;
        return (await post(api, `/v1/customers/${customerId}/governance/proxy`, {})).operationId;
      });
      const signed = await operation(operationId);
      assert.equal(signed.status, "signed");
      signedHash = signed.tx_hash!;
      // Signed once, never broadcast: nothing in the node, not even pending.
      assert.equal((await rig.signerClient.key("evm-hot")).nextNonce, String(BigInt(signerNext!) + 1n));
      assert.equal(await rig.chain.pendingNonce(rig.hot), minedBefore);
      assert.equal(await rig.chain.receipt(signedHash), null);

      // The restarted process resumes it and is killed right after handing the bytes to the node.
      assert.equal(await crashAt("after-broadcast", () => Promise.resolve(operationId)), operationId);
      assert.equal((await rig.signerClient.key("evm-hot")).nextNonce, String(BigInt(signerNext!) + 1n));
    });

    it("killed after broadcast, before it was recorded: one transaction on chain after restart, confirmed", async () => {
      // The node has it (automine: already mined); the database still says signed.
      assert.equal((await operation(operationId)).status, "signed");
      assert.equal(await rig.chain.minedNonce(rig.hot), minedBefore + 1n);

      const api = await startChildApi(env(), path.join(dir, "api-recovered.log"));
      running = api;
      await confirmed(operationId);
      await api.stop();
      running = undefined;

      const done = await operation(operationId);
      assert.equal(done.tx_hash, signedHash, "the stored bytes were sent, not a new signature");
      assert.equal(await rig.chain.minedNonce(rig.hot), minedBefore + 1n);
      const fromHot = (await rig.hotTransactions()).filter((t) => BigInt(t.nonce) >= minedBefore);
      assert.deepEqual(
        fromHot.map((t) => t.hash),
        [signedHash],
      );
      assert.equal(await attempts(operationId), 1);
      const audit = rowsOf<{ action: string }>(
        await database.db.execute(
          sql`select action from audit_log where payload->>'operationId' = ${operationId} order by seq`,
        ),
      ).map((r) => r.action);
      assert.deepEqual(
        audit.filter((a) => a.startsWith("operation.") && a !== "operation.queued"),
        ["operation.signed", "operation.broadcast", "operation.confirmed"],
      );
    });
  },
);
