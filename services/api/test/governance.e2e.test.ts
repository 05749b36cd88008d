/**
 * Test rig for the governance flow: Hardhat's in-process EVM with the local DSChief deployment,
 * exposed over HTTP JSON-RPC (so the service reaches it exactly as it would a real node), the
 * real hot signer on a free port with a sealed key, and the API built on PGlite.
 */
import { randomBytes } from "node:crypto";
import type { NestFastifyApplication } from "@nestjs/platform-fastify";
import { Contract, Wallet, ZeroHash, getAddress, hexlify, parseEther, zeroPadValue } from "ethers";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { network } from "hardhat";
// Brings the `ethers` field of network connections into scope for any tsconfig.
import type {} from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { rowsOf, type Database } from "../../db/src/database.js";
import { ApiKeysRepository, EvmOutboxRepository } from "../../db/src/repositories.js";
import { ENGINES, type EngineTarget } from "../../db/test/targets.js";
import { serveJsonRpc } from "../../../bench/lib/evm-json-rpc.js";
import { deployDSChiefStack, mintGov, type DSChiefStack } from "../../../deploy/lib/stack.js";
import { buildCore } from "../../signer/src/app.js";
import { startSignerServer } from "../../signer/src/http/server.js";
import { SignerClient } from "../../signer/src/client.js";
import { loadConfig as loadSignerConfig } from "../../signer/src/config.js";
import { tempDir } from "../../signer/test/helpers/fixture.js";
import { createApp } from "../src/app.js";
import { issueApiKey } from "../src/auth/api-key-tokens.js";
import { EthersEvmChain } from "../src/chains/ethers-evm-chain.js";
import { loadConfig } from "../src/config.js";
import { CONTRACT_ERRORS } from "../src/governance/abi.js";
import { customerSalt, predictProxyAddress } from "../src/governance/create2.js";
import type { GovernanceRuntime } from "../src/governance/settings.js";
import { HttpMetrics } from "../src/http/metrics.js";
import { JsonLogger } from "../src/logger.js";
import { OutboxWorker } from "../src/outbox/outbox.worker.js";
import { VALID_TZ1 } from "./helpers.js";

type Connection = Awaited<ReturnType<typeof network.create>>;

interface GovernanceRig {
  readonly conn: Connection;
  readonly stack: DSChiefStack;
  readonly rpcUrl: string;
  readonly chain: EthersEvmChain;
  readonly signerClient: SignerClient;
  readonly hot: string;
  readonly database: Database;
  readonly app: NestFastifyApplication;
  readonly worker: OutboxWorker;
  readonly operatorKey: string;
  readonly adminKey: string;
  readonly auditorKey: string;
  close(): Promise<void>;
}

/** Starts chain, deployment, signer and API; `close` stops all of them. */
async function startGovernanceRig(engine: EngineTarget): Promise<GovernanceRig> {
  const conn = await network.create();
  const [deployer] = await conn.ethers.getSigners();
  const stack = await deployDSChiefStack(conn.ethers, deployer!);
  const factory = await stack.factory.getAddress();
  const implementation = await stack.factory.implementation();
  const rpcServer = await serveJsonRpc(conn.provider);
  const rpcUrl = rpcServer.url;

  const token = randomBytes(32).toString("hex");
  const signerConfig = loadSignerConfig({
    SIGNER_API_TOKEN: token,
    SIGNER_POLICY_ENFORCEMENT: "off", // predates the policy gate (issue 7)
    SIGNER_PORT: "0",
    SIGNER_DATA_DIR: tempDir("coldpath-api-gov-signer-"),
    SIGNER_SEALED_PASSPHRASE: "governance e2e passphrase, test only",
    SIGNER_EVM_FACTORIES: `${factory}:${implementation}`,
  });
  const core = await buildCore(signerConfig);
  // The signer's request log is not what these tests look at; its audit file still records all.
  const signer = await startSignerServer({ core, apiToken: token, port: 0, log: () => {} });
  const signerClient = new SignerClient({ url: signer.url, token });
  const hot = (await signerClient.key("evm-hot")).address;
  await (await deployer!.sendTransaction({ to: hot, value: parseEther("10") })).wait();

  const chain = new EthersEvmChain(rpcUrl, CONTRACT_ERRORS);
  const governance: GovernanceRuntime = {
    chain,
    signer: signerClient,
    settings: {
      chainId: 31337n,
      factory,
      implementation,
      chief: await stack.chief.getAddress(),
      gov: await stack.gov.getAddress(),
      hotKeyId: "evm-hot",
      maxFeePerGas: 100_000_000_000n,
      maxPriorityFeePerGas: 2_000_000_000n,
      maxGasLimit: 1_000_000n,
      maxCandidates: 5,
      fromBlock: 0,
    },
  };
  const { database, dispose } = await engine.open();
  const app = await createApp({
    config: loadConfig({ DATA_DIR: "memory://" }),
    database,
    logger: new JsonLogger("silent", () => {}),
    metrics: new HttpMetrics(false),
    governance,
  });
  const keys = new ApiKeysRepository();
  const tokens: Record<string, string> = {};
  for (const role of ["admin", "operator", "auditor"] as const) {
    const { row, token: t } = issueApiKey(`test ${role}`, role, new Date());
    await keys.insert(database.db, row);
    tokens[role] = t;
  }
  return {
    conn,
    stack,
    rpcUrl,
    chain,
    signerClient,
    hot,
    database,
    app,
    worker: app.get(OutboxWorker),
    operatorKey: tokens.operator!,
    adminKey: tokens.admin!,
    auditorKey: tokens.auditor!,
    async close() {
      await app.close();
      await dispose();
      chain.destroy();
      await signer.close();
      await core.close();
      await rpcServer.close();
      await conn.close();
    },
  };
}

const CANDIDATE_A = getAddress("0x" + "c4".repeat(20));
const CANDIDATE_B = getAddress("0x" + "1b".repeat(20));

for (const engine of ENGINES) {
  describe(
    `Ethereum governance flow end to end (Hardhat EVM, hot signer, ${engine.name})`,
    { skip: engine.skip },
    () => {
      let rig: GovernanceRig;
      let cold: Wallet;
      let customerId: string;
      let proxyAddress: string;
      let seq = 0;

      const post = (path: string, body?: unknown, opts: { key?: string | null; token?: string } = {}) =>
        rig.app.inject({
          method: "POST",
          url: path,
          headers: {
            authorization: `Bearer ${opts.token ?? rig.operatorKey}`,
            ...(opts.key === null ? {} : { "idempotency-key": opts.key ?? `k-${++seq}` }),
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
        });
      const get = (path: string) =>
        rig.app.inject({ method: "GET", url: path, headers: { authorization: `Bearer ${rig.operatorKey}` } });
      const gov = (id: string, action = "") => `/v1/customers/${id}/governance${action ? `/${action}` : ""}`;
      const status = async (id = customerId) => {
        const res = await get(gov(id));
        assert.equal(res.statusCode, 200, res.body);
        return res.json() as {
          proxyAddress: string;
          deployed: boolean;
          govBalance: string;
          chiefDeposits: string;
          slate: string;
          events: { name: string; value: string }[];
        };
      };
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
      const counts = async () => {
        const rows = rowsOf<{ ops: number; audit: number; outbox: number }>(
          await rig.database.db.execute(
            sql`select (select count(*)::int from operations) as ops, (select count(*)::int from audit_log) as audit, (select count(*)::int from evm_outbox) as outbox`,
          ),
        );
        return rows[0]!;
      };
      const createCustomer = async (evmColdAddress: string) => {
        const res = await post(
          "/v1/customers",
          { name: "Gov customer", evmColdAddress, tezosColdAddress: VALID_TZ1 },
          {
            token: rig.adminKey,
          },
        );
        assert.equal(res.statusCode, 201, res.body);
        return (res.json() as { id: string }).id;
      };
      /** A restarted worker finds the row once its lease or backoff is over; tests skip the wait. */
      const expireLease = async (operationId: string) => {
        await rig.database.db.execute(
          sql`update evm_outbox set lease_until = null, lease_owner = null where operation_id = ${operationId}`,
        );
      };
      /** A plain GOV transfer from the cold test wallet. */
      const fund = async (to: string, amount: bigint) => {
        const token = new Contract(
          await rig.stack.gov.getAddress(),
          ["function transfer(address,uint256) returns (bool)"],
          cold,
        );
        await (await token.getFunction("transfer")(to, amount)).wait();
      };
      /** Queues one action, runs the worker, and answers the operation's final view. */
      const act = async (action: string, body?: unknown) => {
        const res = await post(gov(customerId, action), body);
        assert.equal(res.statusCode, 202, res.body);
        const { operationId } = res.json() as { operationId: string };
        assert.equal((await operation(operationId)).status, "queued");
        await rig.worker.drain();
        return { operationId, ...(await operation(operationId)) };
      };

      before(async () => {
        rig = await startGovernanceRig(engine);
        cold = Wallet.createRandom().connect(rig.conn.ethers.provider) as unknown as Wallet;
        const [deployer] = await rig.conn.ethers.getSigners();
        await (await deployer!.sendTransaction({ to: cold.address, value: parseEther("1") })).wait();
        await mintGov(rig.stack, deployer!, cold.address, parseEther("100"));
        customerId = await createCustomer(cold.address);
      });
      after(async () => {
        await rig?.close();
      });

      it("computes the proxy address locally exactly as the factory's predictProxy", async () => {
        const { factory, implementation } = rig.worker["runtime"]!.settings;
        for (let i = 0; i < 6; i++) {
          const salt = zeroPadValue(hexlify(randomBytes(16)), 32);
          const [c, h] = [Wallet.createRandom().address, Wallet.createRandom().address];
          assert.equal(
            predictProxyAddress(factory, implementation, salt, c, h),
            await rig.chain.predictProxy(factory, salt, c, h),
          );
        }
      });

      it("originates: answers the predicted address at once, queues before signing, then confirms", async () => {
        const before = await counts();
        const res = await post(gov(customerId, "proxy"));
        assert.equal(res.statusCode, 202, res.body);
        const body = res.json() as { operationId: string; status: string; proxyAddress: string };
        proxyAddress = body.proxyAddress;
        const { factory } = rig.worker["runtime"]!.settings;
        assert.equal(
          proxyAddress,
          await rig.chain.predictProxy(factory, customerSalt(customerId), cold.address, rig.hot),
        );
        assert.equal(body.status, "queued");

        // The intent is stored (outbox row + audit) and nothing is on chain yet.
        const after = await counts();
        assert.deepEqual(after, { ops: before.ops + 1, audit: before.audit + 1, outbox: before.outbox + 1 });
        const row = await new EvmOutboxRepository().findById(rig.database.db, body.operationId);
        assert.equal(row?.rawTx, null);
        assert.equal(row?.toAddress, factory);
        assert.equal(await rig.chain.isProxy(factory, proxyAddress), false);

        await rig.worker.drain();
        const op = await operation(body.operationId);
        assert.equal(op.status, "confirmed");
        assert.match(op.txHash ?? "", /^0x[0-9a-f]{64}$/);
        assert.equal(await rig.chain.isProxy(factory, proxyAddress), true);
        assert.equal((await status()).deployed, true);
      });

      it("replays an originate with the same key and refuses a second proxy", async () => {
        const first = await post(gov(customerId, "proxy"), undefined, { key: "orig-again" });
        assert.equal(first.statusCode, 409);
        assert.equal((first.json() as { error: { code: string } }).error.code, "proxy_exists");
      });

      it("locks a deposit sent from the cold wallet, votes, frees and frees all", async () => {
        const token = new Contract(
          await rig.stack.gov.getAddress(),
          [
            "function transfer(address,uint256) returns (bool)",
            "function balanceOf(address) view returns (uint256)",
          ],
          cold,
        );
        await (await token.getFunction("transfer")(proxyAddress, parseEther("10"))).wait();
        assert.equal((await status()).govBalance, parseEther("10").toString());

        const lock = await act("lock", { wad: parseEther("6").toString() });
        assert.equal(lock.status, "confirmed", lock.failureReason ?? "");
        let s = await status();
        assert.equal(s.chiefDeposits, parseEther("6").toString());
        assert.equal(s.govBalance, parseEther("4").toString());

        const vote = await act("vote", { candidates: [CANDIDATE_A, CANDIDATE_B] });
        assert.equal(vote.status, "confirmed", vote.failureReason ?? "");
        s = await status();
        assert.notEqual(s.slate, ZeroHash);
        const slate = s.slate;

        const voteSlate = await act("vote", { slate });
        assert.equal(voteSlate.status, "confirmed", voteSlate.failureReason ?? "");
        assert.equal((await status()).slate, slate);

        const free = await act("free", { wad: parseEther("2").toString() });
        assert.equal(free.status, "confirmed", free.failureReason ?? "");
        s = await status();
        assert.equal(s.chiefDeposits, parseEther("4").toString());
        // Freed tokens always go to the cold address.
        assert.equal(await token.getFunction("balanceOf")(cold.address), parseEther("92"));

        const freeAll = await act("free-all");
        assert.equal(freeAll.status, "confirmed", freeAll.failureReason ?? "");
        s = await status();
        assert.equal(s.chiefDeposits, "0");
        // freeAll sends everything the proxy holds, locked or not: 4 freed + 4 never locked.
        assert.equal(await token.getFunction("balanceOf")(cold.address), parseEther("100"));
        assert.deepEqual(
          s.events.map((e) => e.name),
          ["Locked", "Voted", "Voted", "Freed", "Freed"],
        );
        // Voted is anonymous (its one topic is the slate): both votes name the slate the chief holds.
        assert.deepEqual(
          s.events.filter((e) => e.name === "Voted").map((e) => e.value),
          [slate, slate],
        );
      });

      it("records every worker transition in the verified audit chain", async () => {
        const page = await get("/v1/audit?limit=500");
        assert.equal(page.statusCode, 403);
        const audit = (token: string, url: string) =>
          rig.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${token}` } });
        const rows = (await audit(rig.auditorKey, "/v1/audit?limit=500")).json() as {
          items: { action: string; actor: string }[];
        };
        const actions = rows.items.filter((r) => r.actor === "outbox-worker").map((r) => r.action);
        for (const a of ["operation.signed", "operation.broadcast", "operation.confirmed"]) {
          assert.ok(actions.includes(a), a);
        }
        const verdict = (await audit(rig.auditorKey, "/v1/audit/verify")).json() as { ok: boolean };
        assert.equal(verdict.ok, true);
      });

      it("re-broadcasts a stored raw transaction idempotently", async () => {
        const rows = rowsOf<{ raw_tx: string; tx_hash: string }>(
          await rig.database.db.execute(
            sql`select x.raw_tx, o.tx_hash from evm_outbox x join operations o on o.id = x.operation_id where o.status = 'confirmed' limit 1`,
          ),
        );
        const nonceBefore = await rig.chain.pendingNonce(rig.hot);
        assert.equal(await rig.chain.sendRawTransaction(rows[0]!.raw_tx), rows[0]!.tx_hash);
        assert.equal(await rig.chain.sendRawTransaction(rows[0]!.raw_tx), rows[0]!.tx_hash);
        assert.equal(await rig.chain.pendingNonce(rig.hot), nonceBefore);
      });

      it("replays a lock with the same Idempotency-Key without queuing twice", async () => {
        const token = new Contract(
          await rig.stack.gov.getAddress(),
          ["function transfer(address,uint256) returns (bool)"],
          cold,
        );
        await (await token.getFunction("transfer")(proxyAddress, 5n)).wait();
        const first = await post(gov(customerId, "lock"), { wad: "5" }, { key: "lock-once" });
        assert.equal(first.statusCode, 202);
        const before = await counts();
        const again = await post(gov(customerId, "lock"), { wad: "5" }, { key: "lock-once" });
        assert.equal(again.statusCode, 202);
        assert.equal(again.headers["idempotent-replayed"], "true");
        assert.deepEqual(again.json(), first.json());
        assert.deepEqual(await counts(), before);
        const other = await post(gov(customerId, "lock"), { wad: "4" }, { key: "lock-once" });
        assert.equal(other.statusCode, 409);
        await rig.worker.drain();
        assert.equal(
          (await operation((first.json() as { operationId: string }).operationId)).status,
          "confirmed",
        );
      });

      it("resumes a signed operation whose broadcast failed by sending the stored bytes once", async () => {
        await fund(proxyAddress, 3n);
        const res = await post(gov(customerId, "lock"), { wad: "3" });
        const { operationId } = res.json() as { operationId: string };
        const nonce = await rig.chain.pendingNonce(rig.hot);
        const original = rig.chain.sendRawTransactions.bind(rig.chain);
        rig.chain.sendRawTransactions = () =>
          Promise.reject(new Error("connection reset (crash before broadcast)"));
        try {
          await rig.worker.drain();
        } finally {
          rig.chain.sendRawTransactions = original;
        }
        const signed = await operation(operationId);
        assert.equal(signed.status, "signed");
        assert.ok((await new EvmOutboxRepository().findById(rig.database.db, operationId))?.rawTx);
        assert.equal(await rig.chain.pendingNonce(rig.hot), nonce);

        await expireLease(operationId);
        await rig.worker.drain();
        const done = await operation(operationId);
        assert.equal(done.status, "confirmed");
        assert.equal(done.txHash, signed.txHash);
        assert.equal(await rig.chain.pendingNonce(rig.hot), nonce + 1n);
      });

      it("resumes a broadcast operation whose confirmation check failed", async () => {
        await fund(proxyAddress, 2n);
        const res = await post(gov(customerId, "lock"), { wad: "2" });
        const { operationId } = res.json() as { operationId: string };
        const nonce = await rig.chain.pendingNonce(rig.hot);
        const original = rig.chain.receipts.bind(rig.chain);
        rig.chain.receipts = () => Promise.reject(new Error("connection reset (crash before confirmation)"));
        try {
          await rig.worker.drain();
        } finally {
          rig.chain.receipts = original;
        }
        assert.equal((await operation(operationId)).status, "broadcast");
        await expireLease(operationId);
        await rig.worker.drain();
        assert.equal((await operation(operationId)).status, "confirmed");
        assert.equal(await rig.chain.pendingNonce(rig.hot), nonce + 1n);
      });

      it("leases an operation to one worker until the lease expires", async () => {
        await fund(proxyAddress, 1n);
        const res = await post(gov(customerId, "lock"), { wad: "1" });
        const { operationId } = res.json() as { operationId: string };
        const repo = new EvmOutboxRepository();
        const now = new Date();
        assert.equal(await repo.claim(rig.database.db, "worker-a", now, 30_000), operationId);
        assert.equal(await repo.claim(rig.database.db, "worker-b", now, 30_000), undefined);
        assert.equal(
          await repo.claim(rig.database.db, "worker-b", new Date(now.getTime() + 31_000), 30_000),
          operationId,
        );
        await expireLease(operationId);
        await rig.worker.drain();
        assert.equal((await operation(operationId)).status, "confirmed");
      });

      it("lets two workers drain one outbox without sending any intent twice, in nonce order", async () => {
        await fund(proxyAddress, 30n);
        const ids: string[] = [];
        for (const wad of ["10", "11", "9"]) {
          const res = await post(gov(customerId, "lock"), { wad });
          ids.push((res.json() as { operationId: string }).operationId);
        }
        const nonce = await rig.chain.pendingNonce(rig.hot);
        const w = rig.worker as unknown as Record<string, unknown>;
        const second = new OutboxWorker(
          rig.database,
          rig.worker["runtime"],
          w.operations as never,
          w.outbox as never,
          w.nonces as never,
          () => new Date(),
          new JsonLogger("silent", () => {}),
          w.audit as never,
        );
        await Promise.all([rig.worker.drain(), second.drain()]);
        const ops = await Promise.all(ids.map(operation));
        assert.deepEqual(
          ops.map((o) => o.status),
          ["confirmed", "confirmed", "confirmed"],
          ops.map((o) => o.failureReason).join("; "),
        );
        assert.equal(new Set(ops.map((o) => o.txHash)).size, 3);
        assert.equal(await rig.chain.pendingNonce(rig.hot), nonce + 3n);
      });

      describe("bad input: 400 naming the field, nothing queued", () => {
        const cases: [string, string, unknown, string, string][] = [
          ["proxy", "unknown field", { extra: 1 }, "unknown_field", "extra"],
          ["lock", "a fraction", { wad: "1.5" }, "invalid_amount", "wad"],
          ["lock", "a negative amount", { wad: "-1" }, "invalid_amount", "wad"],
          ["lock", "hex", { wad: "0x10" }, "invalid_amount", "wad"],
          ["lock", "an exponent", { wad: "1e18" }, "invalid_amount", "wad"],
          ["lock", "a leading zero", { wad: "01" }, "invalid_amount", "wad"],
          ["lock", "zero", { wad: "0" }, "invalid_amount", "wad"],
          ["lock", "2^256", { wad: (1n << 256n).toString() }, "amount_too_large", "wad"],
          ["lock", "a JSON number", { wad: 5 }, "invalid_type", "wad"],
          ["lock", "no wad", {}, "invalid_type", "wad"],
          ["lock", "an unknown field", { wad: "1", to: "x" }, "unknown_field", "to"],
          [
            "lock",
            "more than the proxy holds",
            { wad: parseEther("1000").toString() },
            "insufficient_balance",
            "wad",
          ],
          ["free", "a negative amount", { wad: "-5" }, "invalid_amount", "wad"],
          [
            "free",
            "more than is locked",
            { wad: parseEther("1000").toString() },
            "insufficient_deposit",
            "wad",
          ],
          ["free-all", "an unknown field", { wad: "1" }, "unknown_field", "wad"],
          ["vote", "neither form", {}, "invalid_value", "body"],
          ["vote", "both forms", { candidates: [CANDIDATE_A], slate: ZeroHash }, "invalid_value", "body"],
          [
            "vote",
            "a malformed candidate",
            { candidates: ["0x1234"] },
            "invalid_evm_address",
            "candidates.0",
          ],
          [
            "vote",
            "a lower-case candidate",
            { candidates: [CANDIDATE_A, CANDIDATE_B.toLowerCase()] },
            "bad_checksum",
            "candidates.1",
          ],
          [
            "vote",
            "a duplicate candidate",
            { candidates: [CANDIDATE_A, CANDIDATE_A] },
            "duplicate_candidate",
            "candidates.1",
          ],
          [
            "vote",
            "too many candidates",
            { candidates: Array.from({ length: 6 }, () => Wallet.createRandom().address) },
            "too_long",
            "candidates",
          ],
          ["vote", "no candidates", { candidates: [] }, "too_short", "candidates"],
          ["vote", "a short slate", { slate: "0x1234" }, "invalid_slate", "slate"],
          ["vote", "candidates not an array", { candidates: CANDIDATE_A }, "invalid_type", "candidates"],
        ];
        for (const [action, what, body, code, field] of cases) {
          it(`${action}: refuses ${what}`, async () => {
            const before = await counts();
            const res = await post(gov(customerId, action), body);
            assert.equal(res.statusCode, 400, res.body);
            assert.deepEqual(
              {
                code: (res.json() as { error: { code: string } }).error.code,
                field: (res.json() as { error: { field: string } }).error.field,
              },
              { code, field },
            );
            assert.deepEqual(await counts(), before);
          });
        }

        it("refuses a missing Idempotency-Key, a bad id and a wrong role on every route", async () => {
          for (const action of ["proxy", "lock", "free", "free-all", "vote"]) {
            const before = await counts();
            const noKey = await post(gov(customerId, action), { wad: "1" }, { key: null });
            assert.equal(noKey.statusCode, 400);
            assert.equal((noKey.json() as { error: { field: string } }).error.field, "Idempotency-Key");
            const badId = await post(gov("not-a-uuid", action), { wad: "1" });
            assert.equal(badId.statusCode, 400);
            assert.equal((badId.json() as { error: { field: string } }).error.field, "id");
            const auditor = await post(gov(customerId, action), { wad: "1" }, { token: rig.auditorKey });
            assert.equal(auditor.statusCode, 403);
            assert.deepEqual(await counts(), before);
          }
        });

        it("answers 404 for an unknown customer and 409 before a proxy exists", async () => {
          const unknown = await post(gov("00000000-0000-4000-8000-000000000000", "lock"), { wad: "1" });
          assert.equal(unknown.statusCode, 404);
          const fresh = await createCustomer(Wallet.createRandom().address);
          const noProxy = await post(gov(fresh, "free-all"));
          assert.equal(noProxy.statusCode, 409);
          assert.equal((noProxy.json() as { error: { code: string } }).error.code, "no_proxy");
        });
      });

      it("fails an originate the chain would revert, without signing or spending a nonce", async () => {
        const otherCold = Wallet.createRandom().address;
        const id = await createCustomer(otherCold);
        const res = await post(gov(id, "proxy"));
        assert.equal(res.statusCode, 202);
        const { operationId, proxyAddress: predicted } = res.json() as {
          operationId: string;
          proxyAddress: string;
        };
        // Someone else creates the very same proxy first (the factory is permissionless).
        const [deployer] = await rig.conn.ethers.getSigners();
        await (
          await rig.stack.factory.connect(deployer!).createProxy(customerSalt(id), otherCold, rig.hot)
        ).wait();
        const nonce = await rig.chain.pendingNonce(rig.hot);
        await rig.worker.drain();
        const op = await operation(operationId);
        assert.equal(op.status, "failed");
        assert.match(op.failureReason ?? "", /VoteProxyFactoryProxyExists/);
        assert.equal(op.txHash, null);
        assert.equal(await rig.chain.pendingNonce(rig.hot), nonce);

        // The proxy exists, but the signer never signed its creation: it refuses every hot action on it.
        const token = new Contract(
          await rig.stack.gov.getAddress(),
          ["function transfer(address,uint256) returns (bool)"],
          cold,
        );
        await (await token.getFunction("transfer")(predicted, 7n)).wait();
        const lock = await post(gov(id, "lock"), { wad: "7" });
        assert.equal(lock.statusCode, 202, lock.body);
        await rig.worker.drain();
        const refused = await operation((lock.json() as { operationId: string }).operationId);
        assert.equal(refused.status, "failed");
        assert.match(refused.failureReason ?? "", /signer refused \(EVM_UNKNOWN_TARGET\)/);
        assert.equal(await rig.chain.pendingNonce(rig.hot), nonce);

        // The refused operation gave its nonce back: the next one is signed and mined at that nonce.
        const next = await act("free-all");
        assert.equal(next.status, "confirmed", next.failureReason ?? "");
        assert.equal(await rig.chain.pendingNonce(rig.hot), nonce + 1n);
      });
    },
  );
}
