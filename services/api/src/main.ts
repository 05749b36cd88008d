/**
 * Entry point of the custody API: `tsx services/api/src/main.ts` (configuration from the
 * environment; see services/api/.env.example). SERVICE_ROLES chooses what this process runs: the
 * HTTP API, the outbox workers, the chain indexer, or any subset (all by default).
 */
import { apiKeys } from "../../db/src/schema.js";
import { ConfigError } from "../../shared/src/errors.js";
import { openApp } from "./app.js";
import { bootstrapAdminKey } from "./bootstrap.js";
import { loadConfig } from "./config.js";
import { JsonLogger } from "./logger.js";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = new JsonLogger(config.logLevel);
  const { app, database } = await openApp(config, logger);
  const adminId = await bootstrapAdminKey(database, config.bootstrapAdminKeyFile);
  if (adminId)
    logger.emit("warn", "created the first admin key", {
      keyId: adminId,
      file: config.bootstrapAdminKeyFile,
    });
  else if ((await database.db.$count(apiKeys)) === 0) {
    logger.emit(
      "warn",
      "no API keys exist yet; create one with: npx tsx services/api/src/cli.ts create-key --role admin --name <name>",
    );
  }
  const roles = [...config.roles];
  if (config.roles.has("http")) {
    await app.listen({ port: config.port, host: config.host });
    logger.emit("info", "listening", {
      host: config.host,
      port: config.port,
      database: database.kind,
      roles,
    });
  } else {
    // A background-only process (decision 0973): no port, just the workers and/or the indexer.
    logger.emit("info", "running without HTTP", { roles, database: database.kind });
  }

  const shutdown = async (signal: string): Promise<void> => {
    logger.emit("info", "shutting down", { signal });
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.once("SIGINT", (s) => void shutdown(s));
  process.once("SIGTERM", (s) => void shutdown(s));
}

await main();
