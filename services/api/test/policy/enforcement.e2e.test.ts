/**
 * End to end with enforcement on everywhere: the API evaluates staking intents under the
 * quorum-activated policy and pushes the chain to the real hot signer, which pins the same genesis
 * and re-checks every authorization the outbox worker sends; Tezos is the in-repo sandbox. The
 * `attacker` edits the API's database to push operations past approval: the signer refuses.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { TezosToolkit } from "@taquito/taquito";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { openDatabase, type Database } from "../../../db/src/database.js";
import { operationPayloadDigest, policyHash } from "../../../policy/src/index.js";
import type { PolicyDocument } from "../../../policy/src/index.js";
import { SoftAuthenticator } from "../../../policy/src/testing/soft-authenticator.js";
import { buildCore } from "../../../signer/src/app.js";
import { SignerClient } from "../../../signer/src/client.js";
import { loadConfig as loadSignerConfig } from "../../../signer/src/config.js";
import { startSignerServer, type RunningSignerServer } from "../../../signer/src/http/server.js";
import type { HotSignerCore } from "../../../signer/src/signer.js";
import { startSandbox } from "../../../../tezos/sandbox/index.js";
import { SoftwareEd25519Signer, TaquitoSignerAdapter } from "../../../../tezos/src/index.js";
import { TaquitoTezosChain } from "../../src/chains/tezos-taquito-chain.js";
import { PolicyEnforcementService } from "../../src/policy/policy-enforcement.service.js";
import { TezosOutboxWorker } from "../../src/staking/tezos.worker.js";
import { VALID_EVM } from "../helpers.js";
import { GENESIS, activate, examplePolicy, startPolicyApp, type PolicyTestApp } from "./fixtures.js";

const WEB = { rpId: "localhost", origins: ["http://localhost:3000"] };
const passkeys = Object.fromEntries(
  ["alice", "bob", "carol", "dave"].map((id) => [
    id,
    new SoftAuthenticator(sha256(utf8ToBytes(`e2e passkey ${id}`))),
  ]),
);

describe("policy enforced by the API and again by the hot signer (Tezos sandbox)", () => {
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  let core: HotSignerCore;
  let signer: RunningSignerServer;
  let signerClient: SignerClient;
  let database: Database;
  let t: PolicyTestApp;
  let worker: TezosOutboxWorker;
  let enforcement: PolicyEnforcementService;
  let customer = "";
  let allowedBaker = "";
  let otherBaker = "";
  let policy: PolicyDocument;

  const post = (p: string, body: unknown = {}) => t.call("POST", p, "operator", body);
  const op = async (id: string) => (await t.call("GET", `/v1/operations/${id}`, "operator")).json;
  let n = 0;
  async function approve(operationId: string, approverId: string): Promise<void> {
    const payload = (await enforcement.authorizationFor(operationId))!.payload;
    const e = passkeys[approverId]!.approve(
      {
        subject: { kind: "operation", digest: operationPayloadDigest(payload) },
        expiresAt: Math.floor(Date.now() / 1000) + 600,
        nonce: bytesToHex(sha256(utf8ToBytes(`e2e ${n++} ${operationId}`))).slice(0, 32),
        approverId,
      },
      { origin: WEB.origins[0]!, rpId: WEB.rpId },
    );
    await database.exec(
      `insert into approvals (id, subject_kind, subject_id, subject_digest, approver_id, credential_id, decision, nonce, evidence, created_at)
       values ('${randomUUID()}', 'operation', '${operationId}', '${e.subject.digest}', '${approverId}', '${e.credentialId}', 'approve', '${e.nonce}', '${JSON.stringify(e)}'::jsonb, now())`,
    );
    await enforcement.onApprovalRecorded(operationId);
  }

  before(async () => {
    sandbox = await startSandbox({ port: 0, accounts: 4, delegates: 2 });
    allowedBaker = sandbox.accounts[0]!.address;
    otherBaker = sandbox.accounts[1]!.address;
    const dir = mkdtempSync(path.join(tmpdir(), "coldpath-policy-e2e-"));
    const genesisFile = path.join(dir, "genesis.json");
    writeFileSync(genesisFile, JSON.stringify(GENESIS));
    const token = randomBytes(32).toString("hex");
    core = await buildCore(
      loadSignerConfig({
        SIGNER_API_TOKEN: token,
        SIGNER_PORT: "0",
        SIGNER_DATA_DIR: path.join(dir, "signer"),
        SIGNER_SEALED_PASSPHRASE: "policy e2e passphrase, test only",
        // The signer's own allowlist takes both bakers: only the policy tells them apart.
        SIGNER_TEZOS_BAKERS: `${allowedBaker},${otherBaker}`,
        SIGNER_POLICY_GENESIS_FILE: genesisFile,
      }),
    );
    signer = await startSignerServer({ core, apiToken: token, port: 0, log: () => {} });
    signerClient = new SignerClient({ url: signer.url, token });
    const chain = new TaquitoTezosChain(sandbox.url, signerClient, "tezos-hot");
    const funder = new TezosToolkit(sandbox.url);
    funder.setSignerProvider(new TaquitoSignerAdapter(new SoftwareEd25519Signer(sandbox.accounts[3]!.seed)));
    await (await funder.contract.transfer({ to: await chain.hotAddress(), amount: 10 })).confirmation(1);

    database = await openDatabase({ kind: "pglite", dataDir: "memory://" });
    t = await startPolicyApp(
      database,
      { enforcement: "on", pushToSigner: true },
      { SIGNER_URL: signer.url, SIGNER_TOKEN: token },
      { staking: { chain }, clock: () => new Date() },
    );
    worker = t.app.get(TezosOutboxWorker);
    enforcement = t.app.get(PolicyEnforcementService);
    policy = examplePolicy();
    policy.webauthn = WEB;
    for (const a of policy.approverGroups["ops-approvers"]!.approvers)
      a.passkeys = [passkeys[a.id]!.passkey()];
    policy.rules.find((r) => r.id === "routine-delegate")!.conditions!.allowlists!.bakers = [allowedBaker];
    const cold = await SoftwareEd25519Signer.generate().publicKeyHash();
    customer = (
      await t.call("POST", "/v1/customers", "admin", {
        name: "E2E",
        evmColdAddress: VALID_EVM,
        tezosColdAddress: cold,
      })
    ).json.id;
  });
  after(async () => {
    await t?.close();
    await database?.close();
    await signer?.close();
    await core?.close();
    await sandbox?.close();
  });

  it("pushes the quorum-activated policy to the signer, which verifies it to its own genesis", async () => {
    assert.equal(await signerClient.policy(), null);
    await activate(t, policy, ["erin", "frank"]);
    assert.deepEqual(await signerClient.policy(), { policyHash: policyHash(policy), version: 1 });
  });

  it("originates only after two ops approvers approved, and the signer accepts their approvals", async () => {
    const r = await post(`/v1/customers/${customer}/staking/contract`);
    assert.equal(r.json.status, "pending_approval");
    await worker.drain();
    assert.equal((await op(r.json.operationId)).status, "pending_approval", "the worker never touches it");
    await approve(r.json.operationId, "alice");
    await approve(r.json.operationId, "bob");
    assert.equal((await op(r.json.operationId)).status, "queued");
    await worker.drain();
    const done = await op(r.json.operationId);
    assert.equal(done.status, "confirmed", done.failureReason ?? "");
  });

  it("delegates to an allowlisted baker automatically", async () => {
    const r = await post(`/v1/customers/${customer}/staking/delegate`, { baker: allowedBaker });
    assert.equal(r.json.status, "queued");
    await worker.drain();
    const done = await op(r.json.operationId);
    assert.equal(done.status, "confirmed", done.failureReason ?? "");
  });

  it("attacker flips a pending operation to queued in the database: the signer refuses it", async () => {
    const r = await post(`/v1/customers/${customer}/staking/delegate`, { baker: otherBaker });
    assert.equal(r.json.status, "pending_approval");
    await database.exec(`update operations set status = 'queued' where id = '${r.json.operationId}'`);
    await worker.drain();
    const failed = await op(r.json.operationId);
    assert.equal(failed.status, "failed");
    assert.match(failed.failureReason, /POLICY_APPROVALS_INSUFFICIENT/);
  });

  it("attacker also rewrites the stored decision to allow: the signer's own evaluation refuses it", async () => {
    const r = await post(`/v1/customers/${customer}/staking/delegate`, { baker: otherBaker });
    await database.exec(
      `update operation_policy set decision = jsonb_set(decision, '{decision}', '"allow"') where operation_id = '${r.json.operationId}';
       update operations set status = 'queued' where id = '${r.json.operationId}'`,
    );
    await worker.drain();
    const failed = await op(r.json.operationId);
    assert.equal(failed.status, "failed");
    assert.match(failed.failureReason, /POLICY_DECISION_MISMATCH/);
  });
});
