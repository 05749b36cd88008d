import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "../../../db/src/database.js";
import { ENGINES } from "../../../db/test/targets.js";
import { SoftAuthenticator } from "../../../policy/src/testing/soft-authenticator.js";
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
  describe(`passkeys and console sessions on ${engine.name}`, { skip: engine.skip }, () => {
    let database: Database;
    let dispose: () => Promise<void>;
    let h: Harness;

    before(async () => {
      ({ database, dispose } = await engine.open());
      h = await startHarness(database);
    });
    after(async () => {
      await h?.close();
      await dispose?.();
    });

    const enrol = (approverId: string, token: string, body: unknown = {}) =>
      h.app.inject({
        method: "POST",
        url: `/v1/approvers/${approverId}/enrolments`,
        headers: {
          authorization: `Bearer ${token}`,
          "idempotency-key": idem(),
          "content-type": "application/json",
        },
        payload: JSON.stringify(body),
      });

    it("lets only admins issue enrolment codes and validates the approver id", async () => {
      assert.equal((await enrol("alice", h.keys.operator)).statusCode, 403);
      const bad = await enrol("Alice!", h.keys.admin);
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.field, "approverId");
      const ttl = await enrol("alice", h.keys.admin, { ttlMinutes: 1 });
      assert.equal(ttl.json().error.field, "ttlMinutes");
      const ok = await enrol("alice", h.keys.admin);
      assert.equal(ok.statusCode, 201);
      assert.match(ok.json().code, /^cpe_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    });

    it("registers an ES256 passkey as pending, in the contract's hex form, and spends the code", async () => {
      const auth = new SoftAuthenticator();
      const code = (await enrol("bob", h.keys.admin)).json().code as string;
      const options = await consolePost(h, "/v1/console/registration/options", { code });
      assert.equal(options.statusCode, 200);
      const body = options.json();
      assert.equal(body.approverId, "bob");
      assert.equal(body.options.rp.id, RP_ID);
      assert.equal(body.options.authenticatorSelection.userVerification, "required");
      assert.deepEqual(
        body.options.pubKeyCredParams.map((p: { alg: number }) => p.alg),
        [-7],
      );
      const registration = auth.register(body.options.challenge, { origin: ORIGIN, rpId: RP_ID });
      const done = await consolePost(h, "/v1/console/registration", {
        code,
        challengeId: body.challengeId,
        response: registration,
      });
      assert.equal(done.statusCode, 201, done.body);
      assert.deepEqual(
        { ...(done.json() as object), createdAt: undefined },
        {
          credentialId: auth.credentialId,
          approverId: "bob",
          publicKey: auth.publicKeyHex,
          algorithm: "ES256",
          status: "pending",
          createdAt: undefined,
          lastUsedAt: null,
        },
      );
      const again = await consolePost(h, "/v1/console/registration/options", { code });
      assert.equal(again.statusCode, 401);
      assert.equal(again.json().error.code, "enrolment_invalid");
      const listed = await h.app.inject({
        url: "/v1/approvers/passkeys?approverId=bob",
        headers: { authorization: `Bearer ${h.keys.auditor}` },
      });
      assert.equal(listed.json().items.length, 1);
      assert.equal(await count(database, "audit_log", "action = 'passkey.registered'"), 1);
    });

    it("refuses a registration from another origin, for another challenge or without user verification", async () => {
      const auth = new SoftAuthenticator();
      const code = (await enrol("carol", h.keys.admin)).json().code as string;
      const { challengeId, options } = (
        await consolePost(h, "/v1/console/registration/options", { code })
      ).json();
      const before = await count(database, "approver_passkeys");
      const foreign = auth.register(options.challenge, { origin: "https://evil.example", rpId: RP_ID });
      const r1 = await consolePost(h, "/v1/console/registration", { code, challengeId, response: foreign });
      assert.equal(r1.statusCode, 400);
      assert.deepEqual([r1.json().error.code, r1.json().error.field], ["registration_failed", "response"]);
      const otherRp = auth.register(options.challenge, { origin: ORIGIN, rpId: "evil.example" });
      const r2 = await consolePost(h, "/v1/console/registration", { code, challengeId, response: otherRp });
      assert.equal(r2.json().error.code, "registration_failed");
      const wrongChallenge = auth.register("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", {
        origin: ORIGIN,
        rpId: RP_ID,
      });
      const r3 = await consolePost(h, "/v1/console/registration", {
        code,
        challengeId,
        response: wrongChallenge,
      });
      assert.equal(r3.json().error.code, "registration_failed");
      const r4 = await consolePost(
        h,
        "/v1/console/registration",
        { code, challengeId, response: auth.register(options.challenge, { origin: ORIGIN, rpId: RP_ID }) },
        { origin: "https://evil.example" },
      );
      assert.deepEqual([r4.statusCode, r4.json().error.code], [403, "csrf_refused"]);
      assert.equal(await count(database, "approver_passkeys"), before);
    });

    it("refuses an expired enrolment code", async () => {
      const code = (await enrol("dave", h.keys.admin, { ttlMinutes: 5 })).json().code as string;
      h.advance(5 * 60_000 + 1);
      try {
        const r = await consolePost(h, "/v1/console/registration/options", { code });
        assert.deepEqual(
          [r.statusCode, r.json().error.code, r.json().error.field],
          [401, "enrolment_invalid", "code"],
        );
        assert.match(r.json().error.message, /expired/);
      } finally {
        h.advance(-(5 * 60_000 + 1));
      }
    });

    it("signs in with a passkey, sets a strict HttpOnly cookie, and signs out", async () => {
      const auth = new SoftAuthenticator();
      await enrolPasskey(h, "erin", auth);
      const optionsRes = await consolePost(h, "/v1/console/sign-in/options", {});
      const { challengeId, options } = optionsRes.json();
      assert.equal(options.userVerification, "required");
      const response = assertionJson(auth.assert(options.challenge, { origin: ORIGIN, rpId: RP_ID }));
      const res = await consolePost(h, "/v1/console/sign-in", { challengeId, response });
      assert.equal(res.statusCode, 200, res.body);
      const cookie = String(res.headers["set-cookie"]);
      assert.match(
        cookie,
        /^coldpath_console=[A-Za-z0-9_-]{43}; Max-Age=900; Path=\/; HttpOnly; SameSite=Strict$/,
      );
      assert.equal(res.json().approverId, "erin");
      const session = cookie.split(";")[0]!;
      const csrf = res.json().csrfToken as string;

      const replay = await consolePost(h, "/v1/console/sign-in", { challengeId, response });
      assert.deepEqual([replay.statusCode, replay.json().error.code], [409, "challenge_used"]);

      const me = await h.app.inject({ url: "/v1/console/session", headers: { cookie: session } });
      assert.equal(me.statusCode, 200);
      assert.equal(me.json().passkeys[0].status, "pending");
      const fresh = me.json().csrfToken as string;
      assert.notEqual(fresh, csrf);

      const noCsrf = await consolePost(h, "/v1/console/sign-out", {}, { cookie: session });
      assert.deepEqual([noCsrf.statusCode, noCsrf.json().error.code], [403, "csrf_refused"]);
      const stale = await consolePost(h, "/v1/console/sign-out", {}, { cookie: session, csrf });
      assert.equal(stale.statusCode, 403, "the rotated-out CSRF token no longer works");
      const out = await consolePost(h, "/v1/console/sign-out", {}, { cookie: session, csrf: fresh });
      assert.equal(out.statusCode, 204);
      assert.match(String(out.headers["set-cookie"]), /Max-Age=0/);
      const gone = await h.app.inject({ url: "/v1/console/session", headers: { cookie: session } });
      assert.deepEqual([gone.statusCode, gone.json().error.code], [401, "session_required"]);
    });

    it("refuses sign-in without user verification, with an unknown passkey, or after expiry", async () => {
      const auth = new SoftAuthenticator();
      await enrolPasskey(h, "frank", auth);
      const attempt = async (a: SoftAuthenticator, uv: boolean) => {
        const { challengeId, options } = (await consolePost(h, "/v1/console/sign-in/options", {})).json();
        const response = assertionJson(
          a.assert(options.challenge, { origin: ORIGIN, rpId: RP_ID, userVerified: uv }),
        );
        return consolePost(h, "/v1/console/sign-in", { challengeId, response });
      };
      const noUv = await attempt(auth, false);
      assert.deepEqual([noUv.statusCode, noUv.json().error.code], [400, "assertion_failed"]);
      const stranger = await attempt(new SoftAuthenticator(), true);
      assert.deepEqual([stranger.statusCode, stranger.json().error.code], [401, "unknown_credential"]);

      const { challengeId, options } = (await consolePost(h, "/v1/console/sign-in/options", {})).json();
      h.advance(5 * 60_000 + 1);
      try {
        const response = assertionJson(auth.assert(options.challenge, { origin: ORIGIN, rpId: RP_ID }));
        const late = await consolePost(h, "/v1/console/sign-in", { challengeId, response });
        assert.deepEqual([late.statusCode, late.json().error.code], [400, "challenge_expired"]);
      } finally {
        h.advance(-(5 * 60_000 + 1));
      }
      const { cookie } = await signIn(h, auth);
      h.advance(15 * 60_000 + 1);
      try {
        const expired = await h.app.inject({ url: "/v1/console/session", headers: { cookie } });
        assert.equal(expired.statusCode, 401);
      } finally {
        h.advance(-(15 * 60_000 + 1));
      }
    });

    it("refuses an assertion whose signature counter went backwards (a cloned authenticator)", async () => {
      const auth = new SoftAuthenticator();
      await enrolPasskey(h, "grace", auth);
      const { challengeId: c1, options: o1 } = (
        await consolePost(h, "/v1/console/sign-in/options", {})
      ).json();
      const { challengeId: c2, options: o2 } = (
        await consolePost(h, "/v1/console/sign-in/options", {})
      ).json();
      const older = assertionJson(auth.assert(o2.challenge, { origin: ORIGIN, rpId: RP_ID }));
      const newer = assertionJson(auth.assert(o1.challenge, { origin: ORIGIN, rpId: RP_ID }));
      assert.equal(
        (await consolePost(h, "/v1/console/sign-in", { challengeId: c1, response: newer })).statusCode,
        200,
      );
      const cloned = await consolePost(h, "/v1/console/sign-in", { challengeId: c2, response: older });
      assert.deepEqual([cloned.statusCode, cloned.json().error.code], [400, "assertion_failed"]);
      assert.match(cloned.json().error.message, /counter/i);
    });
  });
}
