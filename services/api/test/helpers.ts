/** Test helpers: an app on a given database, with one key per role and a captured log. */
import assert from "node:assert/strict";
import type { NestFastifyApplication } from "@nestjs/platform-fastify";
import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "../../db/src/database.js";
import { ApiKeysRepository } from "../../db/src/repositories.js";
import type { ApiKeyRole } from "../../db/src/schema.js";
import { createApp, type AppDependencies } from "../src/app.js";
import { issueApiKey } from "../src/auth/api-key-tokens.js";
import { loadConfig, type LogLevel } from "../src/config.js";
import { HttpMetrics } from "../src/http/metrics.js";
import { JsonLogger } from "../src/logger.js";
import type { OutboxReliability } from "../src/outbox/reliability-settings.js";

// The flows these helpers serve predate policy enforcement; its tests (test/policy/) run with it
// on. An explicit POLICY_ENFORCEMENT in the environment still wins.
process.env.POLICY_ENFORCEMENT ??= "off";

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly keys: Record<ApiKeyRole, string>;
  /** Every log line the app wrote, parsed. */
  readonly logLines: string[];
  close(): Promise<void>;
}

/** Chains and outbox settings for the app, and how much of its log to keep. */
export interface TestAppOptions extends Pick<AppDependencies, "governance" | "staking" | "reliability"> {
  /** The lowest level kept in `logLines` (default debug). TEST_LOG=1 also echoes them to stderr. */
  readonly logLevel?: LogLevel;
}

export async function startTestApp(
  database: Database,
  env: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const { logLevel = "debug", ...chains } = options;
  const logLines: string[] = [];
  const config = loadConfig({ DATA_DIR: "memory://", ...env });
  const logger = new JsonLogger(logLevel, (line) => {
    logLines.push(line);
    if (process.env.TEST_LOG === "1") console.error(line);
  });
  const app = await createApp({ config, database, logger, metrics: new HttpMetrics(false), ...chains });
  const repo = new ApiKeysRepository();
  const keys = {} as Record<ApiKeyRole, string>;
  for (const role of ["admin", "operator", "auditor"] as const) {
    const { row, token } = issueApiKey(`test ${role}`, role, new Date());
    await repo.insert(database.db, row);
    keys[role] = token;
  }
  return { app, keys, logLines, close: () => app.close() };
}

export const VALID_EVM = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
export const VALID_TZ1 = "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb";

/** What the governance and staking POSTs answer that tests read. */
export interface Accepted {
  readonly id: string;
  readonly operationId: string;
  readonly proxyAddress: string;
}

/**
 * A POST through `app.inject` as `token` (the given default unless passed), with a fresh
 * Idempotency-Key `<prefix>-<n>`; asserts a 2xx answer and returns its body.
 *
 * @example const post = jsonPoster(app, keys.operator, "bump"); await post("/v1/customers", {...}, keys.admin)
 */
export function jsonPoster(
  app: NestFastifyApplication,
  defaultToken: string,
  prefix: string,
): (path: string, body: unknown, token?: string) => Promise<Accepted> {
  let seq = 0;
  return async (path, body, token = defaultToken) => {
    const res = await app.inject({
      method: "POST",
      url: path,
      headers: {
        authorization: `Bearer ${token}`,
        "idempotency-key": `${prefix}-${++seq}`,
        "content-type": "application/json",
      },
      payload: JSON.stringify(body),
    });
    assert.ok(res.statusCode < 300, res.body);
    return res.json() as Accepted;
  };
}

/** An operation's status, transaction hash and failure reason, read from its table. */
export async function operationRow(
  database: Database,
  id: string,
): Promise<{ status: string; tx_hash: string | null; failure_reason: string | null }> {
  return rowsOf<{ status: string; tx_hash: string | null; failure_reason: string | null }>(
    await database.db.execute(sql`select status, tx_hash, failure_reason from operations where id = ${id}`),
  )[0]!;
}

/**
 * Outbox settings of the tests that make transactions stuck: short leases, a bump after 100 ms and
 * two blocks, the minimum 12.5 % raise, runs of 8.
 */
export const QUICK_BUMP_RELIABILITY: OutboxReliability = {
  leaseMs: 3_000,
  bumpAfterMs: 100,
  bumpAfterBlocks: 2,
  bumpBps: 1250n,
  pipelineDepth: 8,
};

/** Clears an outbox row's lease, so the next drain may take the operation again at once. */
export async function freeLease(
  database: Database,
  outbox: "evm_outbox" | "tezos_outbox",
  operationId: string,
): Promise<void> {
  await database.db.execute(
    sql`update ${sql.identifier(outbox)} set lease_until = null, lease_owner = null where operation_id = ${operationId}`,
  );
}
