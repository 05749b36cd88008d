import path from "node:path";
import { z } from "zod";
import { ConfigError } from "../../shared/src/errors.js";
import { parseEnv, setVariables } from "../../shared/src/env.js";
import type { DatabaseTarget } from "../../db/src/database.js";

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * What one process runs: `http` the API's port, `workers` the EVM and Tezos outbox workers,
 * `indexer` the chain indexer. Production runs them as separate processes on one PostgreSQL
 * (decision 0973); PGlite is single-process, so there all must share one process.
 */
export const SERVICE_ROLES = ["http", "workers", "indexer"] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

const serviceRoles = z
  .string()
  .transform((v) => v.split(",").map((r) => r.trim()))
  .pipe(
    z
      .array(
        z.enum(SERVICE_ROLES, { error: `must be a comma-separated subset of ${SERVICE_ROLES.join(", ")}` }),
      )
      .min(1, `must name at least one of ${SERVICE_ROLES.join(", ")}`),
  )
  .default([...SERVICE_ROLES]);

const httpUrl = (variable: string) =>
  z.url({ protocol: /^https?$/, error: `${variable} must be an http(s) URL` });

const port = z.coerce
  .number({ error: "must be an integer" })
  .int("must be an integer")
  .min(1, "must be between 1 and 65535")
  .max(65535, "must be between 1 and 65535");

/** Every setting, its default and its check; `.env.example` lists the same names. */
const envSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/.+/, "must be a postgres:// or postgresql:// URL")
    .optional(),
  DATA_DIR: z.string().min(1).default(".data"),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  BODY_LIMIT_BYTES: z.coerce
    .number({ error: "must be an integer" })
    .int("must be an integer")
    .min(1024, "must be at least 1024")
    .max(10 * 1024 * 1024, "must be at most 10485760")
    .default(65536),
  SIGNER_URL: httpUrl("SIGNER_URL").default("http://127.0.0.1:7001"),
  SIGNER_TOKEN: z.string().min(32, "must be at least 32 characters").optional(),
  EVM_RPC_URL: httpUrl("EVM_RPC_URL").default("http://127.0.0.1:8545"),
  TEZOS_RPC_URL: httpUrl("TEZOS_RPC_URL").default("http://127.0.0.1:8732"),
  BOOTSTRAP_ADMIN_KEY_FILE: z.string().min(1).optional(),
  WEBAUTHN_RP_ID: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, "must be a lower-case host name without scheme or port")
    .default("localhost"),
  WEBAUTHN_ORIGINS: z
    .string()
    .transform((v) => v.split(",").map((o) => o.trim()))
    .pipe(z.array(z.url({ protocol: /^https?$/, error: "must be comma-separated http(s) origins" })).min(1))
    .default(["http://localhost:3000"]),
  SERVICE_ROLES: serviceRoles,
});

/** The validated configuration of the API process. */
export interface ApiConfig {
  readonly port: number;
  readonly host: string;
  readonly database: DatabaseTarget;
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  readonly bodyLimitBytes: number;
  readonly signerUrl: string;
  /** Bearer token for the hot signer; never logged. */
  readonly signerToken: string | undefined;
  readonly evmRpcUrl: string;
  readonly tezosRpcUrl: string;
  /** When set and no active admin key exists, the first admin key is written here (mode 0600). */
  readonly bootstrapAdminKeyFile: string | undefined;
  /** WebAuthn relying-party id (the console's host name) that passkeys are scoped to. */
  readonly webauthnRpId: string;
  /** Exact origins (scheme://host[:port]) the console is served from. */
  readonly webauthnOrigins: readonly string[];
  /** What this process runs (SERVICE_ROLES); every role by default. */
  readonly roles: ReadonlySet<ServiceRole>;
}

/**
 * Reads and validates the configuration from `env` (normally `process.env`). Empty strings count
 * as unset so a blank line in an env file falls back to the default.
 *
 * @throws {ConfigError} naming every invalid variable and why, e.g.
 *   `invalid configuration: PORT: must be between 1 and 65535`.
 * @example const config = loadConfig(process.env);
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ApiConfig {
  const e = parseEnv(envSchema, setVariables(env));
  const dataDir = e.DATA_DIR;
  const database: DatabaseTarget = e.DATABASE_URL
    ? { kind: "postgres", url: e.DATABASE_URL }
    : { kind: "pglite", dataDir: dataDir.startsWith("memory://") ? dataDir : path.join(dataDir, "pglite") };
  const roles = new Set(e.SERVICE_ROLES);
  // PGlite lives inside one process: an API without its workers (or the reverse) could never
  // meet its other half, so queued intents would wait forever.
  if (database.kind === "pglite" && !(roles.has("http") && roles.has("workers"))) {
    throw new ConfigError([
      {
        variable: "SERVICE_ROLES",
        message:
          "must include both http and workers on PGlite (single-process); set DATABASE_URL to split them",
      },
    ]);
  }
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    database,
    dataDir,
    logLevel: e.LOG_LEVEL,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    signerUrl: e.SIGNER_URL,
    signerToken: e.SIGNER_TOKEN,
    evmRpcUrl: e.EVM_RPC_URL,
    tezosRpcUrl: e.TEZOS_RPC_URL,
    bootstrapAdminKeyFile: e.BOOTSTRAP_ADMIN_KEY_FILE,
    webauthnRpId: e.WEBAUTHN_RP_ID,
    webauthnOrigins: Object.freeze(e.WEBAUTHN_ORIGINS.map((o) => new URL(o).origin)),
    roles,
  });
}
