/** Test helpers: an app on a given database, with one key per role and a captured log. */
import type { NestFastifyApplication } from "@nestjs/platform-fastify";
import type { Database } from "../../db/src/database.js";
import { ApiKeysRepository } from "../../db/src/repositories.js";
import type { ApiKeyRole } from "../../db/src/schema.js";
import { createApp } from "../src/app.js";
import { issueApiKey } from "../src/auth/api-key-tokens.js";
import { loadConfig } from "../src/config.js";
import { HttpMetrics } from "../src/http/metrics.js";
import { JsonLogger } from "../src/logger.js";

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

export async function startTestApp(database: Database, env: Record<string, string> = {}): Promise<TestApp> {
  const logLines: string[] = [];
  const config = loadConfig({ DATA_DIR: "memory://", ...env });
  const logger = new JsonLogger("debug", (line) => logLines.push(line));
  const app = await createApp({ config, database, logger, metrics: new HttpMetrics(false) });
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
