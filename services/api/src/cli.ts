/**
 * Operator CLI of the custody API, run against the configured database:
 *   tsx services/api/src/cli.ts create-key --role admin|operator|auditor --name <name>
 * prints the new key's token once on stdout (store it; only its hash is kept).
 */
import { parseArgs } from "node:util";
import { openDatabase } from "../../db/src/database.js";
import { API_KEY_ROLES, type ApiKeyRole } from "../../db/src/schema.js";
import { ConfigError } from "../../shared/src/errors.js";
import { createApiKeyDirect } from "./bootstrap.js";
import { loadConfig } from "./config.js";

const USAGE = "usage: cli.ts create-key --role admin|operator|auditor --name <name>";

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { role: { type: "string" }, name: { type: "string" } },
  });
  if (positionals[0] !== "create-key") {
    console.error(USAGE);
    return 2;
  }
  const role = values.role as ApiKeyRole | undefined;
  if (!role || !API_KEY_ROLES.includes(role)) {
    console.error(`--role must be one of ${API_KEY_ROLES.join(", ")}\n${USAGE}`);
    return 2;
  }
  const name = values.name?.trim();
  if (!name || name.length > 200) {
    console.error(`--name must be 1 to 200 characters\n${USAGE}`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const database = await openDatabase(config.database);
  try {
    const issued = await createApiKeyDirect(database, name, role);
    console.error(`created ${role} key ${issued.row.id} ('${name}'); the token below is shown once:`);
    console.log(issued.token);
    return 0;
  } finally {
    await database.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
