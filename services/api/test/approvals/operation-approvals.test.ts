/**
 * Operations parked in `pending_approval` by the policy, decided through the approvals API with
 * passkeys: the trusted summary and digest, no self-approval, group membership from the active
 * policy, one vote per approver, replays refused, the threshold queues it, a rejection fails it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "../../../db/src/database.js";
import { ENGINES } from "../../../db/test/targets.js";
import { policyHash } from "../../../policy/src/canonical.js";
import { operationPayloadDigest } from "../../../policy/src/operation-payload.js";
import { policyActivationDigest, signPolicyActivation } from "../../../policy/src/quorum.js";
import type { PolicyDocument } from "../../../policy/src/schema.js";
import { approverSecret } from "../../../policy/test/helpers.js";
import { SoftAuthenticator } from "../../../policy/src/testing/soft-authenticator.js";
import { parseApiKeyToken } from "../../src/auth/api-key-tokens.js";
import { UNLISTED_BAKER, customerWithContract, genesisOf, policyV1, queueOnlyStaking } from "./fixtures.js";
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

for (const engine of ENGINES) {
  describe(`operation approvals with passkeys on ${engine.name}`, { skip: engine.skip }, () => {
    let database: Database;
    let dispose: () => Promise<void>;
    let h: Harness;
    let customerId: string;
    const ids = ["alice", "bob", "carol", "erin"] as const;
    type Id = (typeof ids)[number];
    const auth = Object.fromEntries(ids.map((id) => [id, new SoftAuthenticator()])) as Record<
      Id,
      SoftAuthenticator
    >;
    const session = {} as Record<Id, { cookie: string; csrf: string }>;

    const apiPost = (token: string, url: string, body: unknown) =>
      h.app.inject({
        method: "POST",
        url,
        headers: {
          authorization: `Bearer ${token}`,
          "idempotency-key": idem(),
          "content-type": "application/json",
        },
        payload: JSON.stringify(body),
      });

    before(async () => {
      ({ database, dispose } = await engine.open());
      const first = await startHarness(database);
      for (const id of ids) await enrolPasskey(first, id, auth[id]);
      await first.close();
      // The operator API key belongs to carol: she may request, never approve her own request.
      const operatorKeyId = parseApiKeyToken(first.keys.operator)!.id;
      h = await startHarness(
        database,
        {},
        {
          genesis: genesisOf({ alice: auth.alice.passkey(), bob: auth.bob.passkey() }, 2),
          requesterApprovers: new Map([[operatorKeyId, "carol"]]),
          staking: queueOnlyStaking(),
        },
        first.keys,
      );
      const doc = policyV1(Object.fromEntries(ids.map((id) => [id, auth[id].passkey()])));
      assert.equal((await apiPost(h.keys.admin, "/v1/policies", { document: doc })).statusCode, 201);
      for (const id of ["alice", "bob"] as const) {
        const evidence = auth[id].approve(
          {
            subject: { kind: "policy", digest: policyActivationDigest(doc) },
            expiresAt: Math.floor(Date.now() / 1000) + 300,
            nonce: randomBytes(16).toString("hex"),
            approverId: id,
          },
          { origin: ORIGIN, rpId: RP_ID },
        );
        const signed = await apiPost(h.keys.admin, `/v1/policies/${policyHash(doc)}/signatures`, {
          evidence,
        });
        assert.equal(signed.statusCode, 201, signed.body);
      }
      customerId = await customerWithContract(
        database,
        (url, body) => apiPost(h.keys.admin, url, body),
        h.keys.admin,
      );
      for (const id of ids) session[id] = await signIn(h, auth[id]);
    });
    after(async () => {
      await h?.close();
      await dispose?.();
    });

    const get = (id: Id, url: string) => h.app.inject({ url, headers: { cookie: session[id].cookie } });
    const post = (id: Id, url: string, body: unknown = {}) =>
      consolePost(h, url, body, { cookie: session[id].cookie, csrf: session[id].csrf });

    async function requestDelegation(): Promise<string> {
      const res = await apiPost(h.keys.operator, `/v1/customers/${customerId}/staking/delegate`, {
        baker: UNLISTED_BAKER,
      });
      assert.equal(res.statusCode, 202, res.body);
      const body = res.json() as { operationId: string; status: string };
      assert.equal(body.status, "pending_approval");
      return body.operationId;
    }

    async function approve(id: Id, operationId: string) {
      const c = await post(id, `/v1/console/approvals/operation/${operationId}/challenge`);
      assert.equal(c.statusCode, 200, c.body);
      const { challengeId, challenge } = c.json() as { challengeId: string; challenge: string };
      const response = assertionJson(auth[id].assert(challenge, { origin: ORIGIN, rpId: RP_ID }));
      return {
        res: await post(id, `/v1/console/approvals/operation/${operationId}/approve`, {
          challengeId,
          response,
        }),
        challengeId,
        response,
      };
    }

    const status = async (operationId: string) =>
      (
        await h.app.inject({
          url: `/v1/operations/${operationId}`,
          headers: { authorization: `Bearer ${h.keys.auditor}` },
        })
      ).json() as { status: string; failureReason: string | null };

    it("shows the decoded summary and the exact payload digest", async () => {
      const operationId = await requestDelegation();
      const item = (await get("alice", "/v1/console/approvals"))
        .json()
        .items.find((i: { id: string }) => i.id === operationId);
      assert.ok(item);
      assert.equal(item.kind, "operation");
      assert.equal(item.digest, operationPayloadDigest(item.payload));
      assert.equal(item.required, "2 of ops-approvers");
      assert.ok(item.summary.includes(`Baker: ${UNLISTED_BAKER}`));
      assert.ok(item.summary.some((l: string) => l.startsWith("Chain: Tezos")));
      assert.ok(item.summary.some((l: string) => l.startsWith("Action: delegate")));
      assert.equal(item.canDecide, true);
    });

    it("refuses self-approval and approvers outside the required group", async () => {
      const operationId = await requestDelegation();
      const carol = (await get("carol", `/v1/console/approvals/operation/${operationId}`)).json();
      assert.equal(carol.canDecide, false);
      assert.match(carol.reasonCannotDecide, /carol requested this/);
      const c1 = await post("carol", `/v1/console/approvals/operation/${operationId}/challenge`);
      assert.deepEqual([c1.statusCode, c1.json().error.code], [403, "not_eligible"]);
      const r1 = await post("carol", `/v1/console/approvals/operation/${operationId}/reject`, {
        reason: "mine",
      });
      assert.equal(r1.statusCode, 403, "the requester cannot reject either");
      const c2 = await post("erin", `/v1/console/approvals/operation/${operationId}/challenge`);
      assert.deepEqual([c2.statusCode, c2.json().error.code], [403, "not_eligible"]);
      assert.match(c2.json().error.message, /not an approver of ops-approvers/);
      assert.equal(await count(database, "approvals", `subject_id = '${operationId}'`), 0);
    });

    it("counts one vote per approver, refuses replays, and queues the operation at the threshold", async () => {
      const operationId = await requestDelegation();
      const first = await approve("alice", operationId);
      assert.equal(first.res.statusCode, 201, first.res.body);
      assert.deepEqual(
        [first.res.json().thresholdReached, first.res.json().operationStatus],
        [false, "pending_approval"],
      );
      const replay = await post("alice", `/v1/console/approvals/operation/${operationId}/approve`, {
        challengeId: first.challengeId,
        response: first.response,
      });
      assert.equal(replay.statusCode, 409);
      const again = await post("alice", `/v1/console/approvals/operation/${operationId}/challenge`);
      assert.deepEqual([again.statusCode, again.json().error.code], [409, "already_decided"]);
      assert.equal((await status(operationId)).status, "pending_approval");

      const second = await approve("bob", operationId);
      assert.equal(second.res.statusCode, 201, second.res.body);
      assert.deepEqual(
        [second.res.json().thresholdReached, second.res.json().operationStatus],
        [true, "queued"],
      );
      assert.equal((await status(operationId)).status, "queued");
      const gone = await get("alice", `/v1/console/approvals/operation/${operationId}`);
      assert.equal(gone.statusCode, 404);

      const evidence = await h.app.inject({
        url: `/v1/approvals/operation/${operationId}/evidence`,
        headers: { authorization: `Bearer ${h.keys.operator}` },
      });
      assert.deepEqual(
        evidence.json().items.map((e: { approverId: string }) => e.approverId),
        ["alice", "bob"],
      );
    });

    it("counts an approver once even when two approvals race", async () => {
      const operationId = await requestDelegation();
      const url = `/v1/console/approvals/operation/${operationId}`;
      const [c1, c2] = [
        (await post("bob", `${url}/challenge`)).json(),
        (await post("bob", `${url}/challenge`)).json(),
      ];
      const answers = await Promise.all(
        [c1, c2].map((c: { challengeId: string; challenge: string }) =>
          post("bob", `${url}/approve`, {
            challengeId: c.challengeId,
            response: assertionJson(auth.bob.assert(c.challenge, { origin: ORIGIN, rpId: RP_ID })),
          }),
        ),
      );
      assert.deepEqual(
        answers.map((a) => a.statusCode >= 400).sort(),
        [false, true],
        answers.map((a) => a.body).join(" | "),
      );
      assert.equal(
        await count(database, "approvals", `subject_id = '${operationId}' and approver_id = 'bob'`),
        1,
      );
    });

    it("fails the operation when an approver of the group rejects it", async () => {
      const operationId = await requestDelegation();
      const noReason = await post("bob", `/v1/console/approvals/operation/${operationId}/reject`, {
        reason: " ",
      });
      assert.deepEqual([noReason.statusCode, noReason.json().error.field], [400, "reason"]);
      const noCsrf = await consolePost(
        h,
        `/v1/console/approvals/operation/${operationId}/reject`,
        { reason: "unknown baker" },
        { cookie: session.bob.cookie },
      );
      assert.equal(noCsrf.statusCode, 403);
      assert.equal((await status(operationId)).status, "pending_approval");
      const rejected = await post("bob", `/v1/console/approvals/operation/${operationId}/reject`, {
        reason: "unknown baker",
      });
      assert.equal(rejected.statusCode, 201, rejected.body);
      const after = await status(operationId);
      assert.deepEqual([after.status, after.failureReason], ["failed", "rejected by bob: unknown baker"]);
      const late = await post("alice", `/v1/console/approvals/operation/${operationId}/challenge`);
      assert.equal(late.statusCode, 404);
    });

    it("stops counting an approver the moment a new policy version rotates them out", async () => {
      const operationId = await requestDelegation();
      const v1 = (
        await h.app.inject({
          url: "/v1/policies/active",
          headers: { authorization: `Bearer ${h.keys.auditor}` },
        })
      ).json() as { hash: string; document: PolicyDocument };
      const v2 = structuredClone(v1.document);
      v2.version = 2;
      v2.previousPolicyHash = v1.hash;
      const ops = v2.approverGroups["ops-approvers"]!;
      ops.approvers = ops.approvers.filter((a) => a.id !== "alice");
      assert.equal((await apiPost(h.keys.admin, "/v1/policies", { document: v2 })).statusCode, 201);
      // v1's quorum (2 of custody-officers) activates v2: erin with her passkey, frank offline.
      const erin = auth.erin.approve(
        {
          subject: { kind: "policy", digest: policyActivationDigest(v2) },
          expiresAt: Math.floor(Date.now() / 1000) + 300,
          nonce: randomBytes(16).toString("hex"),
          approverId: "erin",
        },
        { origin: ORIGIN, rpId: RP_ID },
      );
      for (const signature of [{ evidence: erin }, signPolicyActivation(v2, approverSecret("frank"))]) {
        const r = await apiPost(h.keys.admin, `/v1/policies/${policyHash(v2)}/signatures`, signature);
        assert.equal(r.statusCode, 201, r.body);
      }
      const alice = await post("alice", `/v1/console/approvals/operation/${operationId}/challenge`);
      assert.deepEqual([alice.statusCode, alice.json().error.code], [403, "not_eligible"]);
      assert.equal((await get("alice", "/v1/console/session")).json().passkeys[0].status, "pending");
      assert.equal((await approve("bob", operationId)).res.statusCode, 201);
      assert.equal(
        (await status(operationId)).status,
        "pending_approval",
        "one remaining approver is not two",
      );
    });

    it("keeps the audit chain intact with every approval and rejection in it", async () => {
      assert.ok((await count(database, "audit_log", "action = 'approval.recorded'")) >= 2);
      assert.equal(await count(database, "audit_log", "action = 'approval.rejected'"), 1);
      const verdict = await h.app.inject({
        url: "/v1/audit/verify",
        headers: { authorization: `Bearer ${h.keys.auditor}` },
      });
      assert.equal(verdict.json().ok, true);
    });
  });
}
