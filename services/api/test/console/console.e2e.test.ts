/**
 * The approver console end to end in real headless Chromium: passkeys come from Chrome's virtual
 * WebAuthn authenticator (DevTools protocol), so registration, sign-in and approvals go through
 * the browser's own WebAuthn stack and @simplewebauthn/browser, exactly as for a person.
 * Screenshots of the main screens land in test-artifacts/console/.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NestFastifyApplication } from "@nestjs/platform-fastify";
import type { Browser } from "playwright-core";
import type { Database } from "../../../db/src/database.js";
import { openMigratedPglite } from "../../../db/test/targets.js";
import { ApiKeysRepository } from "../../../db/src/repositories.js";
import { policyHash } from "../../../policy/src/canonical.js";
import type { GenesisQuorum } from "../../../policy/src/quorum.js";
import type { Passkey } from "../../../policy/src/schema.js";
import {
  UNLISTED_BAKER,
  customerWithContract,
  genesisOf,
  policyV1,
  queueOnlyStaking,
} from "../approvals/fixtures.js";
import { createApp } from "../../src/app.js";
import { issueApiKey } from "../../src/auth/api-key-tokens.js";
import { loadConfig } from "../../src/config.js";
import { HttpMetrics } from "../../src/http/metrics.js";
import { JsonLogger } from "../../src/logger.js";
import { approverBrowser, browserSkipReason, launch, screenshot, type ApproverBrowser } from "./browser.js";
import { freePort } from "../../../shared/test/free-ports.js";

describe("approver console in headless Chromium", { skip: browserSkipReason(), timeout: 90_000 }, () => {
  let database: Database;
  let app: NestFastifyApplication;
  let browser: Browser;
  let origin: string;
  let adminKey: string;
  let operatorKey: string;
  const approvers: Record<string, ApproverBrowser> = {};

  let port: number;

  /** (Re)starts the service on the same port and database, with `genesis` pinned. */
  async function start(genesis: GenesisQuorum | null): Promise<void> {
    await app?.close();
    const config = loadConfig({
      DATA_DIR: "memory://",
      PORT: String(port),
      WEBAUTHN_RP_ID: "localhost",
      WEBAUTHN_ORIGINS: origin,
    });
    app = await createApp({
      config,
      database,
      logger: new JsonLogger("error", () => {}),
      metrics: new HttpMetrics(false),
      staking: queueOnlyStaking(),
      policy: { genesis, enforcement: "on", requesterApprovers: new Map(), pushToSigner: false },
    });
    await app.listen({ port, host: "127.0.0.1" });
  }

  before(async () => {
    database = await openMigratedPglite();
    port = await freePort();
    origin = `http://localhost:${port}`;
    await start(null);
    const { row, token } = issueApiKey("e2e admin", "admin", new Date());
    await new ApiKeysRepository().insert(database.db, row);
    adminKey = token;
    const operator = issueApiKey("e2e operator", "operator", new Date());
    await new ApiKeysRepository().insert(database.db, operator.row);
    operatorKey = operator.token;
    browser = await launch();
  });

  after(async () => {
    for (const a of Object.values(approvers)) await a.context.close().catch(() => {});
    await browser?.close();
    await app?.close();
    await database?.close();
  });

  /** The fields of API answers this test reads. */
  interface Answer {
    code?: string;
    items?: unknown[];
    activationDigest?: string;
    hash?: string;
    id?: string;
    status?: string;
    failureReason?: string | null;
    operationId?: string;
  }

  async function api(
    method: string,
    path: string,
    body?: unknown,
    key = adminKey,
  ): Promise<{ status: number; json: Answer }> {
    const init: RequestInit = {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined
          ? {}
          : { "content-type": "application/json", "idempotency-key": crypto.randomUUID() }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    };
    let res: Response;
    try {
      res = await fetch(`${origin}${path}`, init);
    } catch (error) {
      // The test restarts the API on the same port: fetch may pick a pooled keep-alive socket the old
      // server closed while idle, and fail before the request is sent ("other side closed"). Once.
      if (!(error instanceof TypeError)) throw error;
      res = await fetch(`${origin}${path}`, init);
    }
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as Answer };
  }

  it("enrols approvers who register passkeys in the browser", async () => {
    for (const id of ["alice", "bob", "carol"]) {
      const enrol = await api("POST", `/v1/approvers/${id}/enrolments`, {});
      assert.equal(enrol.status, 201);
      const a = await approverBrowser(browser);
      approvers[id] = a;
      await a.page.goto(`${origin}/console#enrol=${enrol.json.code}`);
      await a.page.getByRole("button", { name: "Register a passkey" }).click();
      await a.page.getByText(/Passkey registered for/).waitFor();
      const { credentials } = await a.cdp.send("WebAuthn.getCredentials", {
        authenticatorId: a.authenticatorId,
      });
      assert.equal(credentials.length, 1);
      assert.equal(credentials[0]!.isResidentCredential, true);
    }
    const listed = await api("GET", "/v1/approvers/passkeys");
    assert.deepEqual(
      (listed.json.items as { approverId: string; status: string }[])
        .map((p) => `${p.approverId}:${p.status}`)
        .sort(),
      ["alice:pending", "bob:pending", "carol:pending"],
    );
  });

  it("pins the genesis quorum, and approvers activate policy version 1 with their passkeys", async () => {
    const listed = (await api("GET", "/v1/approvers/passkeys")).json.items as {
      approverId: string;
      credentialId: string;
      publicKey: string;
    }[];
    const passkeys: Record<string, Passkey> = Object.fromEntries(
      listed.map((p) => [
        p.approverId,
        { credentialId: p.credentialId, publicKey: p.publicKey, algorithm: "ES256" },
      ]),
    );
    // Out of band, as operators would: the genesis quorum names alice's and bob's passkeys.
    await start(genesisOf({ alice: passkeys.alice!, bob: passkeys.bob! }, 2, origin));
    const doc = policyV1(passkeys, origin);
    const proposed = await api("POST", "/v1/policies", { document: doc });
    assert.equal(proposed.status, 201, JSON.stringify(proposed.json));
    const hash = policyHash(doc);

    const alice = approvers.alice!;
    await alice.page.goto(`${origin}/console`);
    await alice.page.getByRole("button", { name: "Sign in with a passkey" }).waitFor();
    await screenshot(alice.page, "01-sign-in");
    await alice.page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await alice.page.getByRole("heading", { name: "Awaiting approval" }).waitFor();
    assert.equal(await alice.page.locator("#who-name").textContent(), "alice");
    const cookie = (await alice.context.cookies()).find((c) => c.name === "coldpath_console");
    assert.ok(cookie);
    assert.deepEqual([cookie.httpOnly, cookie.sameSite], [true, "Strict"]);
    await alice.page.getByRole("button", { name: /Policy proposal: activate policy version 1/ }).waitFor();
    await screenshot(alice.page, "02-pending-list");

    for (const id of ["alice", "bob"]) {
      const a = approvers[id]!;
      if (id !== "alice") {
        await a.page.goto(`${origin}/console`);
        await a.page.getByRole("button", { name: "Sign in with a passkey" }).click();
        await a.page.getByRole("heading", { name: "Awaiting approval" }).waitFor();
      }
      await a.page.getByRole("button", { name: /Policy proposal: activate policy version 1/ }).click();
      await a.page.getByRole("heading", { name: "activate policy version 1" }).waitFor();
      // The trusted display shows exactly the digest the lifecycle verifies signatures over.
      assert.equal(await a.page.locator("#detail-digest").textContent(), proposed.json.activationDigest);
      if (id === "alice") await screenshot(a.page, "03-policy-detail");
      await a.page.getByRole("button", { name: "Approve with passkey" }).click();
      await a.page.locator("#result.ok").waitFor();
    }
    assert.match(
      (await approvers.bob!.page.locator("#result").textContent()) ?? "",
      /policy version is active/,
    );
    await screenshot(approvers.bob!.page, "04-policy-activated");
    const active = await api("GET", "/v1/policies/active");
    assert.equal(active.json.hash, hash);
    for (const a of Object.values(approvers)) assert.deepEqual(a.problems, []);
  });

  it("approves an out-of-pattern intent with two passkeys and rejects another", async () => {
    const customerId = await customerWithContract(
      database,
      async (url, body) => {
        const r = await api("POST", url, body);
        return { statusCode: r.status, body: JSON.stringify(r.json), json: () => r.json };
      },
      adminKey,
    );
    const request = async () => {
      const r = await api(
        "POST",
        `/v1/customers/${customerId}/staking/delegate`,
        { baker: UNLISTED_BAKER },
        operatorKey,
      );
      assert.equal(r.status, 202, JSON.stringify(r.json));
      assert.equal(r.json.status, "pending_approval");
      return r.json.operationId!;
    };
    const first = await request();

    for (const id of ["alice", "bob"]) {
      const { page } = approvers[id]!;
      await page.getByRole("button", { name: "Back to the list" }).click();
      await page.getByRole("button", { name: new RegExp(`Operation: delegate.*${first}`) }).click();
      await page.getByRole("heading", { name: /delegate/ }).waitFor();
      const summary = (await page.locator("#detail-summary").textContent()) ?? "";
      assert.match(summary, new RegExp(`Baker: ${UNLISTED_BAKER}`));
      assert.match(summary, /Chain: Tezos/);
      if (id === "alice") await screenshot(page, "05-operation-detail");
      await page.getByRole("button", { name: "Approve with passkey" }).click();
      await page.locator("#result.ok").waitFor();
    }
    assert.match(
      (await approvers.alice!.page.locator("#result").textContent()) ?? "",
      /more approvals are needed/,
    );
    assert.match((await approvers.bob!.page.locator("#result").textContent()) ?? "", /queued for signing/);
    await screenshot(approvers.bob!.page, "06-after-approval");
    assert.equal((await api("GET", `/v1/operations/${first}`)).json.status, "queued");

    const second = await request();
    const carol = approvers.carol!;
    await carol.page.goto(`${origin}/console`);
    await carol.page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await carol.page.getByRole("button", { name: new RegExp(`Operation: delegate.*${second}`) }).click();
    await carol.page.getByLabel("Reason for rejecting").fill("baker is not on our list");
    await carol.page.getByRole("button", { name: "Reject" }).click();
    await carol.page.locator("#result.ok").waitFor();
    await screenshot(carol.page, "07-rejected");
    const failed = (await api("GET", `/v1/operations/${second}`)).json;
    assert.deepEqual(
      [failed.status, failed.failureReason],
      ["failed", "rejected by carol: baker is not on our list"],
    );
    for (const a of Object.values(approvers)) assert.deepEqual(a.problems, []);
  });
});
