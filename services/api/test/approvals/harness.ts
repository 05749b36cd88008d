/** Test harness for the approvals area: an app with a settable clock, keys per role and cookies. */
import type { NestFastifyApplication } from "@nestjs/platform-fastify";
import type { Database } from "../../../db/src/database.js";
import { ApiKeysRepository } from "../../../db/src/repositories.js";
import type { ApiKeyRole } from "../../../db/src/schema.js";
import type { GenesisQuorum } from "../../../policy/src/quorum.js";
import type { SoftAssertion, SoftAuthenticator } from "../../../policy/src/testing/soft-authenticator.js";
import { createApp } from "../../src/app.js";
import { issueApiKey } from "../../src/auth/api-key-tokens.js";
import { loadConfig } from "../../src/config.js";
import type { StakingRuntime } from "../../src/staking/settings.js";
import { HttpMetrics } from "../../src/http/metrics.js";
import { JsonLogger } from "../../src/logger.js";

export const RP_ID = "localhost";
export const ORIGIN = "http://localhost:3000";

export interface Harness {
  readonly app: NestFastifyApplication;
  readonly keys: Record<ApiKeyRole, string>;
  /** Moves the app's clock; starts at the real time. */
  advance(ms: number): void;
  now(): Date;
  close(): Promise<void>;
}

/** Genesis quorum and requester mapping for the policy lifecycle (defaults: none). */
export interface HarnessPolicy {
  readonly genesis?: GenesisQuorum | null;
  readonly requesterApprovers?: ReadonlyMap<string, string>;
  /** Staking runtime (intents only; the outbox worker is never started here). */
  readonly staking?: StakingRuntime;
}

export async function startHarness(
  database: Database,
  env: Record<string, string> = {},
  policy: HarnessPolicy = {},
  keys?: Record<ApiKeyRole, string>,
): Promise<Harness> {
  let offset = 0;
  const clock = () => new Date(Date.now() + offset);
  const config = loadConfig({
    DATA_DIR: "memory://",
    WEBAUTHN_RP_ID: RP_ID,
    WEBAUTHN_ORIGINS: ORIGIN,
    LOG_LEVEL: "silent",
    ...env,
  });
  const logger = new JsonLogger("error", () => {});
  const app = await createApp({
    config,
    database,
    logger,
    clock,
    metrics: new HttpMetrics(false),
    ...(policy.staking ? { staking: policy.staking } : {}),
    policy: {
      genesis: policy.genesis ?? null,
      enforcement: "on",
      requesterApprovers: policy.requesterApprovers ?? new Map(),
      pushToSigner: false,
    },
  });
  const tokens = keys ?? ({} as Record<ApiKeyRole, string>);
  if (!keys) {
    const repo = new ApiKeysRepository();
    for (const role of ["admin", "operator", "auditor"] as const) {
      const { row, token } = issueApiKey(`test ${role}`, role, new Date());
      await repo.insert(database.db, row);
      tokens[role] = token;
    }
  }
  return {
    app,
    keys: tokens,
    advance: (ms) => {
      offset += ms;
    },
    now: clock,
    close: () => app.close(),
  };
}

let counter = 0;
/** A fresh idempotency key. */
export const idem = (): string => `approvals-${process.pid}-${++counter}`;

/** The JSON a browser's `startAuthentication` would post for a soft assertion. */
export function assertionJson(a: SoftAssertion): Record<string, unknown> {
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
      ...(a.userHandle ? { userHandle: a.userHandle } : {}),
    },
  };
}

/** JSON POST as the console page sends it (same origin). */
export async function consolePost(
  h: Harness,
  url: string,
  body: unknown,
  opts: { cookie?: string; csrf?: string; origin?: string | null } = {},
) {
  return h.app.inject({
    method: "POST",
    url,
    headers: {
      "content-type": "application/json",
      ...(opts.origin === null ? {} : { origin: opts.origin ?? ORIGIN }),
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
      ...(opts.csrf ? { "x-csrf-token": opts.csrf } : {}),
    },
    payload: JSON.stringify(body),
  });
}

/** Enrols `approverId` with an admin code and registers `auth` as its passkey. */
export async function enrolPasskey(h: Harness, approverId: string, auth: SoftAuthenticator): Promise<void> {
  const enrol = await h.app.inject({
    method: "POST",
    url: `/v1/approvers/${approverId}/enrolments`,
    headers: {
      authorization: `Bearer ${h.keys.admin}`,
      "idempotency-key": idem(),
      "content-type": "application/json",
    },
    payload: "{}",
  });
  if (enrol.statusCode !== 201) throw new Error(`enrolment failed: ${enrol.body}`);
  const code = enrol.json<{ code: string }>().code;
  const options = await consolePost(h, "/v1/console/registration/options", { code });
  if (options.statusCode !== 200) throw new Error(`registration options failed: ${options.body}`);
  const { challengeId, options: opts } = options.json<{
    challengeId: string;
    options: { challenge: string };
  }>();
  const registration = auth.register(opts.challenge, { origin: ORIGIN, rpId: RP_ID });
  const done = await consolePost(h, "/v1/console/registration", {
    code,
    challengeId,
    response: registration,
  });
  if (done.statusCode !== 201) throw new Error(`registration failed: ${done.body}`);
}

/** Signs in with `auth`; returns the cookie header value and the CSRF token. */
export async function signIn(h: Harness, auth: SoftAuthenticator): Promise<{ cookie: string; csrf: string }> {
  const options = await consolePost(h, "/v1/console/sign-in/options", {});
  const { challengeId, options: opts } = options.json<{
    challengeId: string;
    options: { challenge: string };
  }>();
  const response = assertionJson(auth.assert(opts.challenge, { origin: ORIGIN, rpId: RP_ID }));
  const res = await consolePost(h, "/v1/console/sign-in", { challengeId, response });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.body}`);
  const setCookie = String(res.headers["set-cookie"]);
  return { cookie: setCookie.split(";")[0]!, csrf: res.json<{ csrfToken: string }>().csrfToken };
}
