import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { openDatabase, type Database } from "../../../db/src/database.js";
import {
  policyActivationDigest,
  policyHash,
  signPolicyActivation,
  verifyPolicyChain,
} from "../../../policy/src/index.js";
import type { PolicyDocument } from "../../../policy/src/index.js";
import { SoftAuthenticator } from "../../../policy/src/testing/soft-authenticator.js";
import {
  GENESIS,
  examplePolicy,
  secretOf,
  startPolicyApp,
  successor,
  type PolicyTestApp,
} from "./fixtures.js";

const WEB = { rpId: "localhost", origins: ["http://localhost:3000"] };
const passkeys = Object.fromEntries(
  ["erin", "frank", "grace"].map((id) => [
    id,
    new SoftAuthenticator(sha256(utf8ToBytes(`api passkey ${id}`))),
  ]),
);

describe("policy versions through the API", () => {
  let database: Database;
  let t: PolicyTestApp;
  const v1 = examplePolicy();
  let v1Hash = "";
  let v2: PolicyDocument;
  let v2Hash = "";

  before(async () => {
    database = await openDatabase({ kind: "pglite", dataDir: "memory://" });
    t = await startPolicyApp(database);
  });
  after(async () => {
    await t.close();
    await database.close();
  });

  it("has no active policy before the genesis quorum signs", async () => {
    assert.equal((await t.call("GET", "/v1/policies/active", "operator")).status, 404);
  });

  it("lets only admins propose, and refuses invalid documents naming the field", async () => {
    assert.equal((await t.call("POST", "/v1/policies", "operator", { document: v1 })).status, 403);
    const bad = structuredClone(v1) as PolicyDocument;
    bad.quorum.group = "board";
    const r = await t.call("POST", "/v1/policies", "admin", { document: bad });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, "invalid_policy");
    assert.equal(r.json.error.field, "document.quorum.group");
    assert.equal((await t.call("GET", "/v1/policies", "auditor")).json.items.length, 0);
  });

  it("stores a proposal under its hash as proposed", async () => {
    const r = await t.call("POST", "/v1/policies", "admin", { document: v1 });
    assert.equal(r.status, 201);
    v1Hash = r.json.hash;
    assert.equal(v1Hash, policyHash(v1));
    assert.equal(r.json.status, "proposed");
    assert.equal(r.json.activationDigest, policyActivationDigest(v1));
    assert.equal((await t.call("POST", "/v1/policies", "admin", { document: v1 })).status, 200);
  });

  it("refuses a version 2 while nothing is active", async () => {
    const r = await t.call("POST", "/v1/policies", "admin", { document: successor(v1) });
    assert.equal(r.status, 409);
    assert.equal(r.json.error.code, "stale_proposal");
  });

  it("refuses signatures that do not count, and stores nothing for them", async () => {
    const stranger = sha256(utf8ToBytes("stranger"));
    const cases = [
      signPolicyActivation(v1, stranger),
      signPolicyActivation(successor(v1), secretOf("erin")),
      { publicKey: signPolicyActivation(v1, secretOf("erin")).publicKey, signature: "00".repeat(64) },
      signPolicyActivation(v1, secretOf("alice")),
    ];
    for (const sig of cases) {
      const r = await t.call("POST", `/v1/policies/${v1Hash}/signatures`, "admin", sig);
      assert.equal(r.status, 400, JSON.stringify(r.json));
      assert.equal(r.json.error.code, "invalid_signature");
    }
    assert.equal((await t.call("GET", `/v1/policies/${v1Hash}`, "admin")).json.signatures.length, 0);
  });

  it("activates version 1 only when the genesis quorum is reached", async () => {
    const one = await t.call(
      "POST",
      `/v1/policies/${v1Hash}/signatures`,
      "operator",
      signPolicyActivation(v1, secretOf("erin")),
    );
    assert.deepEqual([one.status, one.json.activated, one.json.approvedBy], [201, false, ["erin"]]);
    const again = await t.call(
      "POST",
      `/v1/policies/${v1Hash}/signatures`,
      "operator",
      signPolicyActivation(v1, secretOf("erin")),
    );
    assert.equal(again.json.error.code, "duplicate_signature");
    assert.equal((await t.call("GET", "/v1/policies/active", "operator")).status, 404);
    const two = await t.call(
      "POST",
      `/v1/policies/${v1Hash}/signatures`,
      "operator",
      signPolicyActivation(v1, secretOf("grace")),
    );
    assert.deepEqual([two.json.activated, two.json.approvedBy], [true, ["erin", "grace"]]);
    const active = await t.call("GET", "/v1/policies/active", "auditor");
    assert.equal(active.json.hash, v1Hash);
    assert.equal(active.json.status, "active");
  });

  it("activates version 2 with the quorum of version 1, and supersedes version 1", async () => {
    v2 = successor(v1, (p) => {
      p.description = "v2: passkeys for the officers";
      p.webauthn = WEB;
      for (const a of p.approverGroups["custody-officers"]!.approvers)
        a.passkeys = [passkeys[a.id]!.passkey()];
    });
    const r = await t.call("POST", "/v1/policies", "admin", { document: v2 });
    v2Hash = r.json.hash;
    for (const id of ["frank", "grace"]) {
      await t.call(
        "POST",
        `/v1/policies/${v2Hash}/signatures`,
        "admin",
        signPolicyActivation(v2, secretOf(id)),
      );
    }
    const list = await t.call("GET", "/v1/policies", "auditor");
    assert.equal(list.json.activeHash, v2Hash);
    assert.deepEqual(
      list.json.items.map((i: { version: number; status: string }) => [i.version, i.status]),
      [
        [1, "superseded"],
        [2, "active"],
      ],
    );
  });

  it("activates version 3 with the officers' passkeys (WebAuthn evidence)", async () => {
    const v3 = successor(v2, (p) => (p.description = "v3"));
    const hash = (await t.call("POST", "/v1/policies", "admin", { document: v3 })).json.hash as string;
    const nowSeconds = Math.floor(t.now.value.getTime() / 1000);
    const evidence = (id: string, expiresAt = nowSeconds + 300) =>
      passkeys[id]!.approve(
        {
          subject: { kind: "policy", digest: policyActivationDigest(v3) },
          expiresAt,
          nonce: bytesToHex(sha256(utf8ToBytes(`${id}${expiresAt}`))).slice(0, 32),
          approverId: id,
        },
        { origin: WEB.origins[0]!, rpId: WEB.rpId },
      );
    const expired = await t.call("POST", `/v1/policies/${hash}/signatures`, "admin", {
      evidence: evidence("erin", nowSeconds),
    });
    assert.equal(expired.status, 400);
    assert.match(expired.json.error.message, /EXPIRED/);
    assert.equal(
      (await t.call("POST", `/v1/policies/${hash}/signatures`, "admin", { evidence: evidence("erin") })).json
        .activated,
      false,
    );
    assert.equal(
      (await t.call("POST", `/v1/policies/${hash}/signatures`, "admin", { evidence: evidence("frank") })).json
        .activated,
      true,
    );
    assert.equal((await t.call("GET", "/v1/policies/active", "admin")).json.version, 3);
  });

  it("exports a history an auditor verifies independently against the pinned genesis", async () => {
    assert.equal((await t.call("GET", "/v1/policies/history/export", "operator")).status, 403);
    const exp = (await t.call("GET", "/v1/policies/history/export", "auditor")).json;
    assert.equal(exp.format, "coldpath-policy-history/1");
    assert.deepEqual(
      exp.chain.map((v: { version: number }) => v.version),
      [1, 2, 3],
    );
    const verified = verifyPolicyChain(
      exp.chain.map((v: { policy: unknown; signatures: never[] }) => ({
        policy: v.policy,
        signatures: v.signatures,
      })),
      GENESIS,
    );
    assert.equal(verified.policyHash, exp.activeHash);
  });

  it("ignores a version 4 row forged as active directly in the database", async () => {
    const active = (await t.call("GET", "/v1/policies/active", "admin")).json;
    const forged = successor(active.document, (p) => {
      p.description = "forged: lets anyone vote for the attacker";
      p.quorum.threshold = 1;
    });
    const hash = policyHash(forged);
    await database.exec(
      `insert into policy_versions (hash, version, previous_hash, document, status, proposed_by, created_at, activated_at)
       values ('${hash}', 4, '${active.hash}', '${JSON.stringify(forged).replace(/'/g, "''")}'::jsonb, 'active', 'mallory', now(), now())`,
    );
    await database.exec(`update policy_versions set status = 'superseded' where hash = '${active.hash}'`);
    const after = await t.call("GET", "/v1/policies/active", "admin");
    assert.equal(after.json.hash, active.hash);
    const row = (await t.call("GET", `/v1/policies/${hash}`, "admin")).json;
    assert.equal(row.status, "proposed");
    assert.equal(row.storedStatus, "active");
    assert.match(row.integrityProblem, /no quorum/);
    assert.ok(t.logLines.some((l) => l.includes("policy row refused")));
  });

  it("refuses a signed version whose stored document was edited afterwards (no active policy then)", async () => {
    const active = (await t.call("GET", "/v1/policies/active", "admin")).json;
    await database.exec(
      `update policy_versions set document = jsonb_set(document, '{description}', '"edited"') where hash = '${v1Hash}'`,
    );
    const r = await t.call("GET", "/v1/policies/active", "admin");
    assert.equal(r.status, 404, "an edited genesis version breaks the whole chain");
    const row = (await t.call("GET", `/v1/policies/${v1Hash}`, "admin")).json;
    assert.match(row.integrityProblem, /does not hash/);
    await database.exec(
      `update policy_versions set document = jsonb_set(document, '{description}', '${JSON.stringify(v1.description)}') where hash = '${v1Hash}'`,
    );
    assert.equal((await t.call("GET", "/v1/policies/active", "admin")).json.hash, active.hash);
  });
});
