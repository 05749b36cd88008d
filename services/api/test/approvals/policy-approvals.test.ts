/**
 * Policy proposals approved with passkeys through the approvals API: the genesis quorum's
 * approvers activate version 1 from the console routes; strangers, double votes, replays,
 * expired and mismatched challenges are refused and change nothing.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "../../../db/src/database.js";
import { openMigratedPglite } from "../../../db/test/targets.js";
import { policyActivationDigest } from "../../../policy/src/quorum.js";
import { policyHash } from "../../../policy/src/canonical.js";
import { verifyApprovalEvidence, type ApprovalEvidence } from "../../../policy/src/webauthn-verify.js";
import { SoftAuthenticator } from "../../../policy/src/testing/soft-authenticator.js";
import { genesisOf, policyV1 } from "./fixtures.js";
import {
  ORIGIN,
  RP_ID,
  assertionJson,
  consolePost,
  enrolPasskey,
  idem,
  signIn,
  startHarness,
  type Harness,
} from "./harness.js";

async function count(database: Database, table: string, where = "true"): Promise<number> {
  const result = await database.db.execute(sql.raw(`select count(*)::int as n from ${table} where ${where}`));
  return rowsOf<{ n: number }>(result)[0]!.n;
}

describe("policy proposals approved with passkeys", () => {
  let database: Database;
  let h: Harness;
  const auth = {
    alice: new SoftAuthenticator(),
    bob: new SoftAuthenticator(),
    carol: new SoftAuthenticator(),
  };
  const session: Record<string, { cookie: string; csrf: string }> = {};
  const doc = policyV1({ alice: auth.alice.passkey(), bob: auth.bob.passkey(), carol: auth.carol.passkey() });
  const hash = policyHash(doc);
  const digest = policyActivationDigest(doc);

  before(async () => {
    database = await openMigratedPglite();
    // Passkeys are registered first; the genesis quorum that lists them is pinned afterwards,
    // out of band, as an operator would (here: by restarting the app with it).
    const first = await startHarness(database);
    for (const [id, a] of Object.entries(auth)) await enrolPasskey(first, id, a);
    await first.close();
    h = await startHarness(
      database,
      {},
      { genesis: genesisOf({ alice: auth.alice.passkey(), bob: auth.bob.passkey() }, 2) },
      first.keys,
    );
    for (const id of Object.keys(auth)) session[id] = await signIn(h, auth[id as keyof typeof auth]);
    const proposed = await h.app.inject({
      method: "POST",
      url: "/v1/policies",
      headers: {
        authorization: `Bearer ${h.keys.admin}`,
        "idempotency-key": idem(),
        "content-type": "application/json",
      },
      payload: JSON.stringify({ document: doc }),
    });
    assert.equal(proposed.statusCode, 201, proposed.body);
  });
  after(async () => {
    await h?.close();
    await database?.close();
  });

  const get = (id: string, url: string) => h.app.inject({ url, headers: { cookie: session[id]!.cookie } });
  const post = (id: string, url: string, body: unknown = {}) =>
    consolePost(h, url, body, { cookie: session[id]!.cookie, csrf: session[id]!.csrf });
  const base = `/v1/console/approvals/policy/${hash}`;

  it("lists the proposal with its summary and the exact activation digest", async () => {
    const res = await get("alice", "/v1/console/approvals");
    assert.equal(res.statusCode, 200);
    const item = res.json().items.find((i: { id: string }) => i.id === hash);
    assert.ok(item, "the proposal is listed");
    assert.equal(item.kind, "policy");
    assert.equal(item.digest, digest);
    assert.equal(item.threshold, 2);
    assert.equal(item.canDecide, true);
    assert.ok(item.summary.some((l: string) => l.includes(hash)));
    const carol = (await get("carol", base)).json();
    assert.equal(carol.canDecide, false);
    assert.match(carol.reasonCannotDecide, /carol is not an approver/);
  });

  it("refuses a challenge to someone outside the activating quorum, and requires the CSRF token", async () => {
    const r = await post("carol", `${base}/challenge`);
    assert.deepEqual([r.statusCode, r.json().error.code], [403, "not_eligible"]);
    const noCsrf = await consolePost(h, `${base}/challenge`, {}, { cookie: session.alice!.cookie });
    assert.deepEqual([noCsrf.statusCode, noCsrf.json().error.code], [403, "csrf_refused"]);
    const foreign = await consolePost(
      h,
      `${base}/challenge`,
      {},
      { cookie: session.alice!.cookie, csrf: session.alice!.csrf, origin: "https://evil.example" },
    );
    assert.equal(foreign.statusCode, 403);
  });

  it("issues a challenge bound to the digest, expiry, nonce and approver", async () => {
    const c = (await post("alice", `${base}/challenge`)).json();
    assert.equal(c.digest, digest);
    assert.equal(c.approverId, "alice");
    assert.match(c.nonce, /^[0-9a-f]{32}$/);
    assert.deepEqual(c.allowCredentials, [{ id: auth.alice.credentialId, type: "public-key" }]);
    const evidence = auth.alice.approve(
      { subject: { kind: "policy", digest }, expiresAt: c.expiresAt, nonce: c.nonce, approverId: "alice" },
      { origin: ORIGIN, rpId: RP_ID },
    );
    assert.equal(
      JSON.parse(Buffer.from(evidence.clientDataJSON, "base64url").toString()).challenge,
      c.challenge,
    );
  });

  it("refuses expired challenges, wrong subjects and assertions over another challenge", async () => {
    const before = await count(database, "approvals");
    const c1 = (await post("alice", `${base}/challenge`)).json();
    h.advance(301_000);
    try {
      const late = await post("alice", `${base}/approve`, {
        challengeId: c1.challengeId,
        response: assertionJson(auth.alice.assert(c1.challenge, { origin: ORIGIN, rpId: RP_ID })),
      });
      assert.deepEqual([late.statusCode, late.json().error.code], [400, "challenge_expired"]);
    } finally {
      h.advance(-301_000);
    }
    const c2 = (await post("alice", `${base}/challenge`)).json();
    const c3 = (await post("alice", `${base}/challenge`)).json();
    const crossed = await post("alice", `${base}/approve`, {
      challengeId: c2.challengeId,
      response: assertionJson(auth.alice.assert(c3.challenge, { origin: ORIGIN, rpId: RP_ID })),
    });
    assert.deepEqual([crossed.statusCode, crossed.json().error.code], [400, "evidence_rejected"]);
    assert.match(crossed.json().error.message, /CHALLENGE_MISMATCH/);
    const otherOrigin = await post("alice", `${base}/approve`, {
      challengeId: c2.challengeId,
      response: assertionJson(
        auth.alice.assert(c2.challenge, { origin: "https://evil.example", rpId: RP_ID }),
      ),
    });
    assert.match(otherOrigin.json().error.message, /ORIGIN_NOT_ALLOWED/);
    const bobsKey = await post("alice", `${base}/approve`, {
      challengeId: c2.challengeId,
      response: assertionJson(auth.bob.assert(c2.challenge, { origin: ORIGIN, rpId: RP_ID })),
    });
    assert.deepEqual([bobsKey.statusCode, bobsKey.json().error.code], [403, "credential_not_listed"]);
    const bobUsesAlices = await post("bob", `${base}/approve`, {
      challengeId: c2.challengeId,
      response: assertionJson(auth.alice.assert(c2.challenge, { origin: ORIGIN, rpId: RP_ID })),
    });
    assert.deepEqual([bobUsesAlices.statusCode, bobUsesAlices.json().error.code], [400, "challenge_invalid"]);
    const noUv = await post("alice", `${base}/approve`, {
      challengeId: c2.challengeId,
      response: assertionJson(
        auth.alice.assert(c2.challenge, { origin: ORIGIN, rpId: RP_ID, userVerified: false }),
      ),
    });
    assert.match(noUv.json().error.message, /USER_NOT_VERIFIED/);
    assert.equal(await count(database, "approvals"), before);
    assert.equal(await count(database, "policy_signatures"), 0);
  });

  it("records one approval per approver, refuses replays, and activates at the quorum", async () => {
    const c = (await post("alice", `${base}/challenge`)).json();
    const response = assertionJson(auth.alice.assert(c.challenge, { origin: ORIGIN, rpId: RP_ID }));
    const ok = await post("alice", `${base}/approve`, { challengeId: c.challengeId, response });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.deepEqual([ok.json().decision, ok.json().thresholdReached], ["approve", false]);

    const replay = await post("alice", `${base}/approve`, { challengeId: c.challengeId, response });
    assert.equal(replay.statusCode, 409);
    assert.match(replay.json().error.code, /challenge_used|already_decided/);
    const again = await post("alice", `${base}/challenge`);
    assert.deepEqual([again.statusCode, again.json().error.code], [409, "already_decided"]);
    assert.match(again.json().error.message, /already decided/);

    const evidence = await h.app.inject({
      url: `/v1/approvals/policy/${hash}/evidence`,
      headers: { authorization: `Bearer ${h.keys.auditor}` },
    });
    const stored = evidence.json().items as ApprovalEvidence[];
    assert.equal(stored.length, 1);
    assert.deepEqual(
      verifyApprovalEvidence(stored[0]!, {
        publicKeyHex: auth.alice.publicKeyHex,
        rpId: RP_ID,
        origins: [ORIGIN],
      }),
      { ok: true },
    );

    const cb = (await post("bob", `${base}/challenge`)).json();
    const bob = await post("bob", `${base}/approve`, {
      challengeId: cb.challengeId,
      // High-S ECDSA, as real authenticators emit about half the time, is a valid approval.
      response: assertionJson(auth.bob.assert(cb.challenge, { origin: ORIGIN, rpId: RP_ID, highS: true })),
    });
    assert.equal(bob.statusCode, 201, bob.body);
    assert.deepEqual([bob.json().thresholdReached, bob.json().activated], [true, true]);

    const active = await h.app.inject({
      url: "/v1/policies/active",
      headers: { authorization: `Bearer ${h.keys.auditor}` },
    });
    assert.equal(active.json().hash, hash);
    const pending = (await get("alice", "/v1/console/approvals")).json().items;
    assert.equal(pending.filter((i: { kind: string }) => i.kind === "policy").length, 0);
    const me = (await get("carol", "/v1/console/session")).json();
    assert.equal(me.passkeys[0].status, "active", "carol's passkey is active once a policy lists it");
    assert.equal(await count(database, "audit_log", "action = 'approval.recorded'"), 2);
    assert.equal(await count(database, "audit_log", "action = 'policy.activated'"), 1);
  });
});
