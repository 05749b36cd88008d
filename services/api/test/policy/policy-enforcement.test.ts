import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { openDatabase, type Database } from "../../../db/src/database.js";
import { operationPayloadDigest } from "../../../policy/src/index.js";
import type { ApprovalEvidence, OperationPayload, PolicyDocument } from "../../../policy/src/index.js";
import { SoftAuthenticator } from "../../../policy/src/testing/soft-authenticator.js";
import type { TezosChain } from "../../src/chains/tezos-chain.js";
import { PolicyEnforcementService } from "../../src/policy/policy-enforcement.service.js";
import { activate, examplePolicy, startPolicyApp, successor, type PolicyTestApp } from "./fixtures.js";
import { VALID_EVM, VALID_TZ1 } from "../helpers.js";

const WEB = { rpId: "localhost", origins: ["http://localhost:3000"] };
const OPS = ["alice", "bob", "carol", "dave"];
const passkeys = Object.fromEntries(
  OPS.map((id) => [id, new SoftAuthenticator(sha256(utf8ToBytes(`ops passkey ${id}`)))]),
);
const HOT = "tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx";
const KT1 = "KT1PWx2mnDueood7fEmfbBDKx1D9BAnnXitn";
const BAKER = "tz1VAwHF9ygWsGATtQDLZtjyUQbFc8pfiMjF";
const NEW_BAKER = "tz1UJYHaPVRx7dQjxCMyqcipvRzRMALa43nG";

/** Only what queueing needs: the hot address. Nothing here signs or injects (no worker runs). */
const queueOnlyChain = { hotAddress: () => Promise.resolve(HOT) } as unknown as TezosChain;

function policyFor(frozenCustomer: string): PolicyDocument {
  const p = structuredClone(examplePolicy()) as PolicyDocument;
  p.webauthn = WEB;
  for (const a of p.approverGroups["ops-approvers"]!.approvers) a.passkeys = [passkeys[a.id]!.passkey()];
  p.rules.find((r) => r.id === "frozen-customers")!.match.customers = [frozenCustomer];
  return p;
}

describe("policy enforcement in the request path (enforcement on)", () => {
  let database: Database;
  let t: PolicyTestApp;
  let customer = "";
  let frozen = "";
  let v1: PolicyDocument;
  let enforcement: PolicyEnforcementService;

  const post = (path: string, body: unknown = {}) => t.call("POST", path, "operator", body);
  const newCustomer = async (name: string) =>
    (
      await t.call("POST", "/v1/customers", "admin", {
        name,
        evmColdAddress: VALID_EVM,
        tezosColdAddress: VALID_TZ1,
      })
    ).json.id as string;
  const statusOf = async (id: string) => (await t.call("GET", `/v1/operations/${id}`, "operator")).json;
  const payloadOf = async (operationId: string): Promise<OperationPayload> => {
    const auth = await enforcement.authorizationFor(operationId);
    return auth!.payload;
  };
  let nonceN = 0;
  async function approve(
    operationId: string,
    approverId: string,
    over: { expiresAt?: number; digest?: string } = {},
  ): Promise<ApprovalEvidence> {
    const payload = await payloadOf(operationId);
    const evidence = passkeys[approverId]!.approve(
      {
        subject: { kind: "operation", digest: over.digest ?? operationPayloadDigest(payload) },
        expiresAt: over.expiresAt ?? Math.floor(t.now.value.getTime() / 1000) + 300,
        nonce: bytesToHex(sha256(utf8ToBytes(`nonce ${nonceN++}`))).slice(0, 32),
        approverId,
      },
      { origin: WEB.origins[0]!, rpId: WEB.rpId },
    );
    // What the approvals area (E1) stores; enforcement re-verifies it from scratch.
    await database.exec(
      `insert into approvals (id, subject_kind, subject_id, subject_digest, approver_id, credential_id, decision, nonce, evidence, created_at)
       values ('${randomUUID()}', 'operation', '${operationId}', '${evidence.subject.digest}', '${approverId}', '${evidence.credentialId}', 'approve', '${evidence.nonce}', '${JSON.stringify(evidence)}'::jsonb, now())`,
    );
    return evidence;
  }

  before(async () => {
    database = await openDatabase({ kind: "pglite", dataDir: "memory://" });
    t = await startPolicyApp(database, { enforcement: "on" });
    // Re-create the app with a staking runtime: the fixture's app has none.
    await t.close();
    t = await startPolicyAppWithStaking(database);
    enforcement = t.app.get(PolicyEnforcementService);
    customer = await newCustomer("Acme");
    frozen = await newCustomer("Frozen");
  });
  after(async () => {
    await t.close();
    await database.close();
  });

  it("refuses every intent while no policy is active (safe default)", async () => {
    const r = await post(`/v1/customers/${customer}/staking/contract`);
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, "policy_not_active");
    const ops = await database.db.execute("select count(*)::int as n from operations");
    assert.equal((ops as unknown as { rows: { n: number }[] }).rows[0]!.n, 0);
  });

  it("parks an origination in pending_approval (the example policy requires 2 ops approvers)", async () => {
    v1 = policyFor(frozen);
    await activate(t, v1, ["erin", "frank"]);
    const r = await post(`/v1/customers/${customer}/staking/contract`);
    assert.equal(r.status, 202, JSON.stringify(r.json));
    assert.equal(r.json.status, "pending_approval");
    assert.equal((await statusOf(r.json.operationId)).status, "pending_approval");
  });

  it("denies a frozen customer with 403 naming the rule, and queues nothing", async () => {
    const r = await post(`/v1/customers/${frozen}/staking/contract`);
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, "policy_denied");
    assert.deepEqual(r.json.error.ruleIds, ["frozen-customers"]);
  });

  it("queues routine delegations to allowlisted bakers and escalates a new baker", async () => {
    await database.exec(
      `update staking_contracts set contract_address = '${KT1}' where customer_id = '${customer}'`,
    );
    const ok = await post(`/v1/customers/${customer}/staking/delegate`, { baker: BAKER });
    assert.equal(ok.json.status, "queued");
    const auth = await enforcement.authorizationFor(ok.json.operationId);
    assert.deepEqual([auth?.decision, auth?.ruleIds], ["allow", ["routine-delegate"]]);
    assert.equal(auth?.payload.contract, KT1);
    const odd = await post(`/v1/customers/${customer}/staking/delegate`, { baker: NEW_BAKER });
    assert.equal(odd.json.status, "pending_approval");
  });

  it("escalates a burst above the hourly velocity (3 per hour)", async () => {
    const second = await post(`/v1/customers/${customer}/staking/delegate`, { baker: BAKER });
    // One allowed + one pending + this one = 3 in the hour: still routine.
    assert.equal(second.json.status, "queued");
    const fourth = await post(`/v1/customers/${customer}/staking/delegate`, { baker: BAKER });
    assert.equal(fourth.json.status, "pending_approval");
  });

  it("queues an operation once two distinct ops approvers approved it; not on one, another subject or an expired approval", async () => {
    const r = await post(`/v1/customers/${customer}/staking/delegate`, { baker: NEW_BAKER });
    const id = r.json.operationId as string;
    await approve(id, "alice");
    assert.equal((await enforcement.onApprovalRecorded(id)).status, "pending_approval");
    // Another operation's approval and an expired one do not count.
    await approve(id, "carol", { digest: "00".repeat(32) });
    await approve(id, "dave", { expiresAt: Math.floor(t.now.value.getTime() / 1000) });
    assert.equal((await enforcement.onApprovalRecorded(id)).status, "pending_approval");
    await approve(id, "bob");
    const done = await enforcement.onApprovalRecorded(id);
    assert.deepEqual(done, { status: "queued", approvedBy: ["alice", "bob"] });
    assert.equal((await statusOf(id)).status, "queued");
    const auth = await enforcement.authorizationFor(id);
    assert.equal(auth?.decision, "require_approval");
    assert.equal(auth?.approvals.length, 4);
  });

  it("fails an operation an approver rejected", async () => {
    const r = await post(`/v1/customers/${customer}/staking/delegate`, { baker: NEW_BAKER });
    await enforcement.onRejected(r.json.operationId, "carol", "unknown baker");
    const op = await statusOf(r.json.operationId);
    assert.equal(op.status, "failed");
    assert.match(op.failureReason, /rejected by carol/);
  });

  it("stops counting an approver removed by a later policy", async () => {
    const r = await post(`/v1/customers/${customer}/staking/delegate`, { baker: NEW_BAKER });
    const id = r.json.operationId as string;
    await approve(id, "bob");
    const v2 = successor(v1, (p) => {
      const g = p.approverGroups["ops-approvers"]!;
      g.approvers = g.approvers.filter((a) => a.id !== "bob");
    });
    await activate(t, v2, ["erin", "grace"]);
    await approve(id, "carol");
    const after = await enforcement.onApprovalRecorded(id);
    assert.deepEqual(after, { status: "pending_approval", approvedBy: ["carol"] });
    assert.equal(
      (await enforcement.authorizationFor(id))?.policyHash,
      (await t.call("GET", "/v1/policies/active", "admin")).json.hash,
    );
  });
});

async function startPolicyAppWithStaking(database: Database): Promise<PolicyTestApp> {
  return startPolicyApp(database, { enforcement: "on" }, {}, { staking: { chain: queueOnlyChain } });
}
