/** Shared fixtures of the policy API tests: genesis quorum, example policy, signing helpers. */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { NestFastifyApplication } from "@nestjs/platform-fastify";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import type { Database } from "../../../db/src/database.js";
import { ApiKeysRepository } from "../../../db/src/repositories.js";
import type { ApiKeyRole } from "../../../db/src/schema.js";
import { policyHash, signPolicyActivation } from "../../../policy/src/index.js";
import type { GenesisQuorum, PolicyDocument } from "../../../policy/src/index.js";
import { createApp } from "../../src/app.js";
import { issueApiKey } from "../../src/auth/api-key-tokens.js";
import { loadConfig } from "../../src/config.js";
import { HttpMetrics } from "../../src/http/metrics.js";
import { JsonLogger } from "../../src/logger.js";
import type { PolicySettings } from "../../src/policy/settings.js";

export const OFFICERS = ["erin", "frank", "grace"] as const;
export const secretOf = (id: string): Uint8Array => sha256(utf8ToBytes(`coldpath example approver ${id}`));
export const publicOf = (id: string): string => bytesToHex(ed25519.getPublicKey(secretOf(id)));

export const GENESIS: GenesisQuorum = {
  approvers: OFFICERS.map((id) => ({ id, publicKeys: [publicOf(id)] })),
  threshold: 2,
};

export function examplePolicy(): PolicyDocument {
  return JSON.parse(
    readFileSync(new URL("../../../../docs/policy/example-policy.json", import.meta.url), "utf8"),
  ) as PolicyDocument;
}

export function successor(
  prev: PolicyDocument,
  edit: (p: PolicyDocument) => void = () => {},
): PolicyDocument {
  const next = structuredClone(prev) as PolicyDocument;
  next.version = prev.version + 1;
  next.previousPolicyHash = policyHash(prev);
  edit(next);
  return next;
}

export interface PolicyTestApp {
  readonly app: NestFastifyApplication;
  readonly keys: Record<ApiKeyRole, string> & { operatorId: string };
  readonly logLines: string[];
  readonly now: { value: Date };
  call(
    method: "GET" | "POST",
    url: string,
    role: ApiKeyRole,
    body?: unknown,
    // Tests read answers field by field and assert on them; a typed view per route adds nothing.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

export async function startPolicyApp(
  database: Database,
  settings: Partial<PolicySettings> = {},
  env: Record<string, string> = {},
  extra: Partial<Parameters<typeof createApp>[0]> = {},
): Promise<PolicyTestApp> {
  const logLines: string[] = [];
  const now = { value: new Date("2026-11-25T12:00:00Z") };
  const config = loadConfig({ DATA_DIR: "memory://", ...env });
  const logger = new JsonLogger("debug", (line) => logLines.push(line));
  const app = await createApp({
    config,
    database,
    logger,
    metrics: new HttpMetrics(false),
    clock: () => now.value,
    policy: {
      genesis: GENESIS,
      enforcement: "on",
      requesterApprovers: new Map(),
      pushToSigner: false,
      ...settings,
    },
    ...extra,
  });
  const repo = new ApiKeysRepository();
  const keys = {} as Record<ApiKeyRole, string> & { operatorId: string };
  for (const role of ["admin", "operator", "auditor"] as const) {
    const { row, token } = issueApiKey(`test ${role}`, role, new Date());
    await repo.insert(database.db, row);
    keys[role] = token;
    if (role === "operator") keys.operatorId = row.id;
  }
  const call = async (method: "GET" | "POST", url: string, role: ApiKeyRole, body?: unknown) => {
    const res = await app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${keys[role]}`,
        ...(method === "POST" ? { "idempotency-key": randomUUID(), "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    return { status: res.statusCode, json: res.body === "" ? null : JSON.parse(res.body) };
  };
  return { app, keys, logLines, now, call, close: () => app.close() };
}

/** Proposes and activates `doc` with Ed25519 signatures of `signers`; returns its hash. */
export async function activate(
  t: PolicyTestApp,
  doc: PolicyDocument,
  signers: readonly string[],
): Promise<string> {
  const proposed = await t.call("POST", "/v1/policies", "admin", { document: doc });
  if (proposed.status !== 201 && proposed.status !== 200)
    throw new Error(`propose: ${JSON.stringify(proposed.json)}`);
  const hash = proposed.json.hash as string;
  for (const id of signers) {
    const r = await t.call(
      "POST",
      `/v1/policies/${hash}/signatures`,
      "admin",
      signPolicyActivation(doc, secretOf(id)),
    );
    if (r.status !== 201) throw new Error(`sign ${id}: ${JSON.stringify(r.json)}`);
  }
  return hash;
}
