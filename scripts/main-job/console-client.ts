/**
 * The approver console's HTTP API driven by a dev passkey, exactly as the console page drives it
 * from a browser: passkey registration with an enrolment code, passkey sign-in (session cookie
 * plus CSRF token), then per subject a challenge, an assertion over it, and the approval. Used by
 * the main job to register its dev approvers and by the demo to approve; nothing here touches
 * the database or the service's internals.
 */
import { randomBytes } from "node:crypto";
import type { SoftAssertion } from "../../services/policy/src/testing/soft-authenticator.js";
import type { DevPasskey, RelyingParty } from "./dev-passkeys.js";

/** Where the console is: the API's URL and the relying party its passkeys are scoped to. */
export interface ConsoleSite extends RelyingParty {
  readonly apiUrl: string;
}

/** The console API refused a request: the route, the status and its answer. */
export class ConsoleRequestError extends Error {
  readonly code = "console_request_failed";
  constructor(
    readonly route: string,
    readonly status: number,
    readonly answer: string,
  ) {
    super(`${route} answered ${status}: ${answer.slice(0, 500)}`);
    this.name = "ConsoleRequestError";
  }
}

/** A subject awaiting approval as the console shows it (the trusted display). */
export interface ConsoleSubject {
  readonly kind: "operation" | "policy";
  readonly id: string;
  readonly digest: string;
  readonly title: string;
  readonly summary: readonly string[];
  readonly required: string;
  readonly threshold: number;
  readonly approvedBy: readonly string[];
  readonly canDecide: boolean;
  readonly reasonCannotDecide: string | null;
}

/** What the console answers to an approval. */
export interface ConsoleApproval {
  readonly approverId: string;
  readonly digest: string;
  readonly thresholdReached: boolean;
  readonly operationStatus?: string;
}

interface Sent {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
}

async function send(
  site: ConsoleSite,
  method: "GET" | "POST",
  route: string,
  opts: { body?: unknown; bearer?: string; cookie?: string; csrf?: string } = {},
): Promise<Sent> {
  const res = await fetch(site.apiUrl + route, {
    method,
    headers: {
      // What a browser on the console page sends; the API checks it against its origins.
      ...(method === "POST" ? { origin: site.origin, "content-type": "application/json" } : {}),
      ...(opts.bearer !== undefined
        ? {
            authorization: `Bearer ${opts.bearer}`,
            "idempotency-key": `dev-console-${randomBytes(8).toString("hex")}`,
          }
        : {}),
      ...(opts.cookie !== undefined ? { cookie: opts.cookie } : {}),
      ...(opts.csrf !== undefined ? { "x-csrf-token": opts.csrf } : {}),
    },
    ...(method === "POST" ? { body: JSON.stringify(opts.body ?? {}) } : {}),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

function expect<T>(sent: Sent, route: string, ...ok: number[]): T {
  if (!ok.includes(sent.status)) throw new ConsoleRequestError(route, sent.status, sent.text);
  return JSON.parse(sent.text) as T;
}

/** The JSON `startAuthentication` of @simplewebauthn/browser posts for an assertion. */
function assertionJson(a: SoftAssertion): Record<string, unknown> {
  return {
    id: a.credentialId,
    rawId: a.credentialId,
    type: "public-key",
    clientExtensionResults: {},
    authenticatorAttachment: "platform",
    response: {
      clientDataJSON: a.clientDataJSON,
      authenticatorData: a.authenticatorData,
      signature: a.signature,
      ...(a.userHandle !== null ? { userHandle: a.userHandle } : {}),
    },
  };
}

/**
 * Registers `passkey` for its approver unless the API already has it: an admin issues a one-time
 * enrolment code, then the console's registration ceremony runs with it. The passkey stays
 * pending until an activated policy lists it.
 *
 * @returns whether a registration happened.
 * @throws {ConsoleRequestError} when the API refuses a step.
 */
export async function ensureRegistered(
  site: ConsoleSite,
  adminKey: string,
  passkey: DevPasskey,
): Promise<boolean> {
  const listRoute = `/v1/approvers/passkeys?approverId=${encodeURIComponent(passkey.approverId)}`;
  const listed = expect<{ items: { credentialId: string }[] }>(
    await send(site, "GET", listRoute, { bearer: adminKey }),
    listRoute,
    200,
  );
  if (listed.items.some((p) => p.credentialId === passkey.credentialId)) return false;
  const enrolRoute = `/v1/approvers/${passkey.approverId}/enrolments`;
  const { code } = expect<{ code: string }>(
    await send(site, "POST", enrolRoute, { bearer: adminKey, body: { ttlMinutes: 5 } }),
    enrolRoute,
    201,
  );
  const options = expect<{ challengeId: string; options: { challenge: string } }>(
    await send(site, "POST", "/v1/console/registration/options", { body: { code } }),
    "/v1/console/registration/options",
    200,
  );
  expect(
    await send(site, "POST", "/v1/console/registration", {
      body: {
        code,
        challengeId: options.challengeId,
        response: passkey.register(options.options.challenge, site),
      },
    }),
    "/v1/console/registration",
    201,
  );
  return true;
}

/** A signed-in console session of one approver (cookie + CSRF token, as the page holds them). */
export class ConsoleSession {
  private constructor(
    private readonly site: ConsoleSite,
    private readonly passkey: DevPasskey,
    private readonly cookie: string,
    private readonly csrf: string,
  ) {}

  get approverId(): string {
    return this.passkey.approverId;
  }

  /**
   * Signs in with the passkey (discoverable-credential ceremony).
   *
   * @throws {ConsoleRequestError} when the API refuses the assertion or sets no session cookie.
   */
  static async signIn(site: ConsoleSite, passkey: DevPasskey): Promise<ConsoleSession> {
    const options = expect<{ challengeId: string; options: { challenge: string } }>(
      await send(site, "POST", "/v1/console/sign-in/options"),
      "/v1/console/sign-in/options",
      200,
    );
    const route = "/v1/console/sign-in";
    const sent = await send(site, "POST", route, {
      body: {
        challengeId: options.challengeId,
        response: assertionJson(passkey.assert(options.options.challenge, site)),
      },
    });
    const session = expect<{ csrfToken: string }>(sent, route, 200);
    const cookie = sent.headers
      .getSetCookie()
      .map((c) => c.split(";")[0]!)
      .find((c) => c.startsWith("coldpath_console="));
    if (cookie === undefined) throw new ConsoleRequestError(route, sent.status, "no session cookie was set");
    return new ConsoleSession(site, passkey, cookie, session.csrfToken);
  }

  /** The console's view of one subject awaiting approval. @throws {ConsoleRequestError} */
  async detail(kind: "operation" | "policy", id: string): Promise<ConsoleSubject> {
    const route = `/v1/console/approvals/${kind}/${id}`;
    return expect<ConsoleSubject>(await send(this.site, "GET", route, { cookie: this.cookie }), route, 200);
  }

  /**
   * Approves a subject: asks for the challenge bound to its digest, asserts it with the passkey
   * and posts the assertion. Refuses when the challenge is for another digest than `digest`,
   * the one the caller showed.
   *
   * @throws {ConsoleRequestError} when the API refuses, or the digest changed.
   */
  async approve(kind: "operation" | "policy", id: string, digest: string): Promise<ConsoleApproval> {
    const base = `/v1/console/approvals/${kind}/${id}`;
    const auth = { cookie: this.cookie, csrf: this.csrf };
    const challenge = expect<{ challengeId: string; challenge: string; digest: string; rpId: string }>(
      await send(this.site, "POST", `${base}/challenge`, auth),
      `${base}/challenge`,
      200,
    );
    if (challenge.digest !== digest)
      throw new ConsoleRequestError(
        `${base}/challenge`,
        200,
        `digest ${challenge.digest} is not the ${digest} shown`,
      );
    const assertion = this.passkey.assert(challenge.challenge, {
      origin: this.site.origin,
      rpId: challenge.rpId,
    });
    return expect<ConsoleApproval>(
      await send(this.site, "POST", `${base}/approve`, {
        ...auth,
        body: { challengeId: challenge.challengeId, response: assertionJson(assertion) },
      }),
      `${base}/approve`,
      201,
    );
  }
}
