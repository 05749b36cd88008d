/**
 * Test rig for the staking flow: the in-process Tezos sandbox on a free port (reached over its
 * HTTP RPC, exactly as a real node), the real hot signer on a free port with a sealed key and a
 * baker allowlist, and the API on PGlite (and PostgreSQL when its binaries are present).
 */
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NestFastifyApplication } from "@nestjs/platform-fastify";
import { TezosToolkit } from "@taquito/taquito";
import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "../../db/src/database.js";
import { ApiKeysRepository } from "../../db/src/repositories.js";
import { ENGINES, type EngineTarget } from "../../db/test/targets.js";
import { buildCore } from "../../signer/src/app.js";
import { startSignerServer } from "../../signer/src/http/server.js";
import { SignerClient } from "../../signer/src/client.js";
import { loadConfig as loadSignerConfig } from "../../signer/src/config.js";
import { tempDir } from "../../signer/test/helpers/fixture.js";
import { startSandbox, type BootstrapAccount, type RunningSandbox } from "../../../tezos/sandbox/index.js";
import {
  DelegationClient,
  SoftwareEd25519Signer,
  TaquitoSignerAdapter,
  type DelegationStatus,
} from "../../../tezos/src/index.js";
import { createApp } from "../src/app.js";
import { issueApiKey } from "../src/auth/api-key-tokens.js";
import type {
  SignedTezosOperation,
  TezosChain,
  TezosInclusion,
  TezosIntent,
} from "../src/chains/tezos-chain.js";
import { TaquitoTezosChain } from "../src/chains/tezos-taquito-chain.js";
import { loadConfig } from "../src/config.js";
import { HttpMetrics } from "../src/http/metrics.js";
import { JsonLogger } from "../src/logger.js";
import { TezosOutboxWorker } from "../src/staking/tezos.worker.js";
import { VALID_EVM } from "./helpers.js";

/** The real chain, with a switch that loses the node's connection at the next injection. */
class FlakyInjectChain implements TezosChain {
  failNextInject = false;
  constructor(readonly inner: TaquitoTezosChain) {}
  hotAddress(): Promise<string> {
    return this.inner.hotAddress();
  }
  sign(intent: TezosIntent): Promise<SignedTezosOperation> {
    return this.inner.sign(intent);
  }
  inject(op: { forgedBytes: string; signature: string }): Promise<string> {
    if (this.failNextInject) {
      this.failNextInject = false;
      return Promise.reject(new Error("connect ECONNRESET (test)"));
    }
    return this.inner.inject(op);
  }
  findInclusion(opHash: string, fromLevel: number): Promise<TezosInclusion | null> {
    return this.inner.findInclusion(opHash, fromLevel);
  }
  contractStatus(kt1: string): Promise<DelegationStatus> {
    return this.inner.contractStatus(kt1);
  }
}

interface StakingRig {
  readonly sandbox: RunningSandbox & { accounts: BootstrapAccount[] };
  readonly chain: FlakyInjectChain;
  readonly hot: string;
  readonly database: Database;
  readonly app: NestFastifyApplication;
  readonly worker: TezosOutboxWorker;
  readonly keys: Record<"admin" | "operator" | "auditor", string>;
  /** A funded bootstrap account that is not a baker, for deposits. */
  readonly funder: DelegationClient;
  close(): Promise<void>;
}

async function startStakingRig(engine: EngineTarget): Promise<StakingRig> {
  // Bootstrap accounts 1 and 2 are registered bakers; the signer only allows the first.
  const sandbox = await startSandbox({ port: 0, accounts: 4, delegates: 2 });
  const token = randomBytes(32).toString("hex");
  const core = await buildCore(
    loadSignerConfig({
      SIGNER_API_TOKEN: token,
      SIGNER_POLICY_ENFORCEMENT: "off", // predates the policy gate (issue 7)
      SIGNER_PORT: "0",
      SIGNER_DATA_DIR: tempDir("coldpath-api-staking-signer-"),
      SIGNER_SEALED_PASSPHRASE: "staking e2e passphrase, test only",
      SIGNER_TEZOS_BAKERS: sandbox.accounts[0]!.address,
    }),
  );
  // The signer's request log is not what these tests look at; its audit file still records all.
  const signer = await startSignerServer({ core, apiToken: token, port: 0, log: () => {} });
  const signerClient = new SignerClient({ url: signer.url, token });
  const chain = new FlakyInjectChain(new TaquitoTezosChain(sandbox.url, signerClient, "tezos-hot"));
  const hot = await chain.hotAddress();
  const funderToolkit = new TezosToolkit(sandbox.url);
  funderToolkit.setSignerProvider(
    new TaquitoSignerAdapter(new SoftwareEd25519Signer(sandbox.accounts[3]!.seed)),
  );
  const funder = new DelegationClient(funderToolkit, { pollingIntervalMs: 5, confirmationTimeoutSec: 20 });
  // The hot account pays the fees of what it signs.
  await (await funderToolkit.contract.transfer({ to: hot, amount: 10 })).confirmation(1);

  const { database, dispose } = await engine.open();
  const app = await createApp({
    config: loadConfig({ DATA_DIR: "memory://" }),
    database,
    logger: new JsonLogger("silent", () => {}),
    metrics: new HttpMetrics(false),
    staking: { chain },
  });
  const repo = new ApiKeysRepository();
  const keys = {} as StakingRig["keys"];
  for (const role of ["admin", "operator", "auditor"] as const) {
    const issued = issueApiKey(`test ${role}`, role, new Date());
    await repo.insert(database.db, issued.row);
    keys[role] = issued.token;
  }
  return {
    sandbox,
    chain,
    hot,
    database,
    app,
    worker: app.get(TezosOutboxWorker),
    keys,
    funder,
    async close() {
      await app.close();
      await dispose();
      await signer.close();
      await core.close();
      await sandbox.close();
    },
  };
}

for (const engine of ENGINES) {
  describe(
    `Tezos staking flow end to end (sandbox, hot signer, ${engine.name})`,
    { skip: engine.skip },
    () => {
      let rig: StakingRig;
      let customerId: string;
      let coldTz1: string;
      let kt1: string;
      let seq = 0;

      const post = (path: string, body?: unknown, opts: { key?: string | null; token?: string } = {}) =>
        rig.app.inject({
          method: "POST",
          url: path,
          headers: {
            authorization: `Bearer ${opts.token ?? rig.keys.operator}`,
            ...(opts.key === null ? {} : { "idempotency-key": opts.key ?? `k-${++seq}` }),
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
        });
      const get = (path: string) =>
        rig.app.inject({
          method: "GET",
          url: path,
          headers: { authorization: `Bearer ${rig.keys.operator}` },
        });
      const staking = (id: string, action = "") => `/v1/customers/${id}/staking${action ? `/${action}` : ""}`;
      const operation = async (id: string) => {
        const res = await get(`/v1/operations/${id}`);
        assert.equal(res.statusCode, 200, res.body);
        return res.json() as {
          status: string;
          failureReason: string | null;
          txHash: string | null;
          kind: string;
        };
      };
      const status = async (id = customerId) => {
        const res = await get(staking(id));
        assert.equal(res.statusCode, 200, res.body);
        return res.json() as {
          contractAddress: string | null;
          balanceMutez: string | null;
          delegate: string | null;
          storageCold: string | null;
          storageHot: string | null;
        };
      };
      const counts = async () =>
        rowsOf<{ ops: number; audit: number; outbox: number; contracts: number }>(
          await rig.database.db.execute(
            sql`select (select count(*)::int from operations) as ops, (select count(*)::int from audit_log) as audit, (select count(*)::int from tezos_outbox) as outbox, (select count(*)::int from staking_contracts) as contracts`,
          ),
        )[0]!;
      const createCustomer = async (tezosColdAddress: string) => {
        const res = await post(
          "/v1/customers",
          { name: "Staking customer", evmColdAddress: VALID_EVM, tezosColdAddress },
          { token: rig.keys.admin },
        );
        assert.equal(res.statusCode, 201, res.body);
        return (res.json() as { id: string }).id;
      };
      /** Queues one operation, runs the worker, and answers the operation as the API reports it. */
      const run = async (path: string, body?: unknown) => {
        const res = await post(path, body);
        assert.equal(res.statusCode, 202, res.body);
        const { operationId, status: queued } = res.json() as { operationId: string; status: string };
        assert.equal(queued, "queued");
        assert.equal((await operation(operationId)).status, "queued");
        await rig.worker.drain();
        return { operationId, ...(await operation(operationId)) };
      };

      before(async () => {
        rig = await startStakingRig(engine);
        coldTz1 = await SoftwareEd25519Signer.generate().publicKeyHash();
        customerId = await createCustomer(coldTz1);
      });
      after(async () => {
        await rig?.close();
      });

      it("originates the delegation contract through the outbox and stores the KT1 from the receipt", async () => {
        assert.equal((await get(staking(customerId))).statusCode, 409);
        const op = await run(staking(customerId, "contract"));
        assert.equal(op.status, "confirmed", op.failureReason ?? "");
        assert.equal(op.kind, "staking.originate");
        assert.match(op.txHash!, /^o[1-9A-HJ-NP-Za-km-z]{50}$/);
        const after = await status();
        assert.match(after.contractAddress!, /^KT1/);
        kt1 = after.contractAddress!;
        assert.equal(after.storageCold, coldTz1);
        assert.equal(after.storageHot, rig.hot);
        assert.equal(after.delegate, null);
        assert.equal(after.balanceMutez, "0");
        // The stored KT1 is the chain's: the node answers its storage with the same keys.
        const onChain = await rig.funder.status(kt1);
        assert.deepEqual(onChain.storage, { cold: coldTz1, hot: rig.hot });
        // A second origination for the same customer is refused and queues nothing.
        const n = await counts();
        const again = await post(staking(customerId, "contract"));
        assert.equal(again.statusCode, 409, again.body);
        assert.deepEqual(await counts(), n);
      });

      it("deposit, set a registered baker, remove it: the status shows the chain truth", async () => {
        await rig.funder.deposit(kt1, 5_000_000n);
        assert.equal((await status()).balanceMutez, "5000000");
        const baker = rig.sandbox.accounts[0]!.address;
        const set = await run(staking(customerId, "delegate"), { baker });
        assert.equal(set.status, "confirmed", set.failureReason ?? "");
        assert.equal((await status()).delegate, baker);
        assert.equal((await rig.funder.status(kt1)).delegate, baker);
        const removed = await run(staking(customerId, "delegate"), { baker: null });
        assert.equal(removed.status, "confirmed", removed.failureReason ?? "");
        const final = await status();
        assert.equal(final.delegate, null);
        assert.equal(final.balanceMutez, "5000000");
        assert.equal(final.storageCold, coldTz1);
      });

      it("stores the signed bytes before injecting, and a resumed worker does not inject twice", async () => {
        const res = await post(staking(customerId, "delegate"), { baker: rig.sandbox.accounts[0]!.address });
        const { operationId } = res.json() as { operationId: string };
        await rig.worker.drain();
        const op = await operation(operationId);
        assert.equal(op.status, "confirmed", op.failureReason ?? "");
        const row = rowsOf<{ forged_bytes: string; signature: string; signed_at_level: number }>(
          await rig.database.db.execute(
            sql`select forged_bytes, signature, signed_at_level from tezos_outbox where operation_id = ${operationId}`,
          ),
        )[0]!;
        assert.match(row.forged_bytes, /^[0-9a-f]+$/);
        assert.match(row.signature, /^[0-9a-f]{128}$/);
        // A crash after injection, before the broadcast was recorded: the operation is back at
        // `signed` with the same bytes. The worker finds them included and does not inject again.
        await rig.database.db.execute(sql`update operations set status = 'signed' where id = ${operationId}`);
        await rig.worker.drain();
        assert.equal((await operation(operationId)).status, "confirmed");
        const inclusion = await rig.chain.findInclusion(op.txHash!, row.signed_at_level);
        assert.ok(inclusion?.applied);
        const head = (await rig.funder.tezos.rpc.getBlockHeader()).level;
        let seen = 0;
        for (let level = row.signed_at_level + 1; level <= head; level++) {
          const block = await rig.funder.tezos.rpc.getBlock({ block: String(level) });
          seen += block.operations.flat().filter((o) => o.hash === op.txHash).length;
        }
        assert.equal(seen, 1);
        // Re-injecting the very same signed bytes is refused by the node, never applied twice.
        await assert.rejects(rig.chain.inject({ forgedBytes: row.forged_bytes, signature: row.signature }));
      });

      it("an injection lost after signing: the stored bytes are injected later, never signed again", async () => {
        rig.chain.failNextInject = true;
        const res = await post(staking(customerId, "delegate"), { baker: null });
        const { operationId } = res.json() as { operationId: string };
        await rig.worker.drain();
        const signed = await operation(operationId);
        assert.equal(signed.status, "signed");
        const stored = rowsOf<{ forged_bytes: string; signed_at_level: number }>(
          await rig.database.db.execute(
            sql`select forged_bytes, signed_at_level from tezos_outbox where operation_id = ${operationId}`,
          ),
        )[0]!;
        assert.equal(await rig.chain.findInclusion(signed.txHash!, stored.signed_at_level), null);
        // The backoff is over (tests skip the wait): the worker injects what it stored.
        await rig.database.db.execute(
          sql`update tezos_outbox set lease_until = null where operation_id = ${operationId}`,
        );
        await rig.worker.drain();
        const done = await operation(operationId);
        assert.equal(done.status, "confirmed", done.failureReason ?? "");
        assert.equal(done.txHash, signed.txHash);
        assert.equal((await status()).delegate, null);
        const audit = rowsOf<{ n: number }>(
          await rig.database.db.execute(
            sql`select count(*)::int as n from audit_log where action = 'operation.signed' and payload->>'operationId' = ${operationId}`,
          ),
        )[0]!;
        assert.equal(audit.n, 1);
        // Put the baker back for the tests that follow.
        const again = await run(staking(customerId, "delegate"), { baker: rig.sandbox.accounts[0]!.address });
        assert.equal(again.status, "confirmed", again.failureReason ?? "");
      });

      it("a baker the node does not know: the operation fails with the node's reason", async () => {
        const stranger = await SoftwareEd25519Signer.generate().publicKeyHash();
        const op = await run(staking(customerId, "delegate"), { baker: stranger });
        assert.equal(op.status, "failed");
        assert.match(op.failureReason!, /^node refused: .*unregistered_delegate/);
      });

      it("the signer refusing (baker outside its allowlist): the operation fails with its reason", async () => {
        const op = await run(staking(customerId, "delegate"), { baker: rig.sandbox.accounts[1]!.address });
        assert.equal(op.status, "failed");
        assert.match(op.failureReason!, /^signer refused \(TEZOS_BAKER\)/);
        assert.equal((await status()).delegate, rig.sandbox.accounts[0]!.address);
      });

      it("replays the same idempotency key and body with the same operation", async () => {
        const body = { baker: null };
        const first = await post(staking(customerId, "delegate"), body, { key: "replay-1" });
        const second = await post(staking(customerId, "delegate"), body, { key: "replay-1" });
        assert.equal(first.statusCode, 202);
        assert.equal(second.statusCode, 202);
        assert.equal(second.headers["idempotent-replayed"], "true");
        assert.deepEqual(second.json(), first.json());
        const other = await post(
          staking(customerId, "delegate"),
          { baker: rig.sandbox.accounts[0]!.address },
          { key: "replay-1" },
        );
        assert.equal(other.statusCode, 409);
        await rig.worker.drain();
        const { operationId } = first.json() as { operationId: string };
        assert.equal((await operation(operationId)).status, "confirmed");
      });

      it("bad input on every endpoint: 400 naming the field, nothing queued", async () => {
        const fresh = await createCustomer(await SoftwareEd25519Signer.generate().publicKeyHash());
        const n = await counts();
        const cases: [string, unknown, string, string, { key?: string | null }?][] = [
          [
            staking(customerId, "delegate"),
            { baker: "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjc" },
            "baker",
            "invalid_tezos_address",
          ],
          [
            staking(customerId, "delegate"),
            { baker: "KT1PWx2mnDueood7fEmfbBDKx1D9BAnnXitn" },
            "baker",
            "invalid_tezos_address",
          ],
          [staking(customerId, "delegate"), { baker: 12 }, "baker", "invalid_value"],
          [staking(customerId, "delegate"), { baker: "tz1".padEnd(80, "a") }, "baker", "too_long"],
          [staking(customerId, "delegate"), {}, "baker", "invalid_value"],
          [staking(customerId, "delegate"), { baker: null, amount: "1" }, "amount", "unknown_field"],
          [
            staking(customerId, "delegate"),
            { baker: null },
            "Idempotency-Key",
            "missing_idempotency_key",
            { key: null },
          ],
          [staking("not-a-uuid", "delegate"), { baker: null }, "id", "invalid_id"],
          [staking(fresh, "contract"), { cold: "tz1" }, "cold", "unknown_field"],
          [
            staking(fresh, "contract"),
            undefined,
            "Idempotency-Key",
            "missing_idempotency_key",
            { key: null },
          ],
          [staking("x", "contract"), undefined, "id", "invalid_id"],
        ];
        for (const [path, body, field, code, opts] of cases) {
          const res = await post(path, body, opts ?? {});
          assert.equal(res.statusCode, 400, `${path} ${JSON.stringify(body)}: ${res.body}`);
          const error = (res.json() as { error: { code: string; field: string } }).error;
          assert.equal(error.field, field, res.body);
          assert.equal(error.code, code, res.body);
        }
        const badGet = await get(staking("nope"));
        assert.equal(badGet.statusCode, 400);
        assert.equal((badGet.json() as { error: { field: string } }).error.field, "id");
        // Delegating before any contract exists is refused too, and queues nothing.
        const early = await post(staking(fresh, "delegate"), { baker: null });
        assert.equal(early.statusCode, 409, early.body);
        assert.equal((await get(staking(fresh))).statusCode, 409);
        assert.deepEqual(await counts(), n);
      });

      it("writes one audit entry per accepted write and the worker's steps", async () => {
        const rows = rowsOf<{ action: string }>(
          await rig.database.db.execute(sql`select action from audit_log order by seq`),
        ).map((r) => r.action);
        assert.equal(rows.filter((a) => a === "staking.originate.queued").length, 1);
        assert.ok(rows.filter((a) => a === "staking.delegate.queued").length >= 5);
        assert.ok(rows.includes("operation.signed"));
        assert.ok(rows.includes("operation.broadcast"));
        assert.ok(rows.includes("operation.confirmed"));
        const verify = await rig.app.inject({
          method: "GET",
          url: "/v1/audit/verify",
          headers: { authorization: `Bearer ${rig.keys.auditor}` },
        });
        assert.equal((verify.json() as { ok: boolean }).ok, true);
      });
    },
  );
}

describe("staking routes without a Tezos runtime", () => {
  it("answer 503 staking_not_configured", async () => {
    const engine = ENGINES[0]!;
    const { database, dispose } = await engine.open();
    const app = await createApp({
      config: loadConfig({ DATA_DIR: "memory://" }),
      database,
      logger: new JsonLogger("silent", () => {}),
      metrics: new HttpMetrics(false),
    });
    try {
      const { row, token } = issueApiKey("op", "operator", new Date());
      await new ApiKeysRepository().insert(database.db, row);
      const res = await app.inject({
        method: "POST",
        url: `/v1/customers/${"0".repeat(8)}-0000-4000-8000-${"0".repeat(12)}/staking/contract`,
        headers: { authorization: `Bearer ${token}`, "idempotency-key": "k" },
      });
      assert.equal(res.statusCode, 503, res.body);
      assert.equal((res.json() as { error: { code: string } }).error.code, "staking_not_configured");
    } finally {
      await app.close();
      await dispose();
    }
  });
});
