import { writeFileSync } from "node:fs";
import type { Database } from "../../db/src/database.js";
import { ApiKeysRepository, AuditRepository } from "../../db/src/repositories.js";
import type { ApiKeyRole } from "../../db/src/schema.js";
import { issueApiKey, type IssuedKey } from "./auth/api-key-tokens.js";

/** The actor name of keys created outside the API (CLI, first start). */
export const SYSTEM_ACTOR = "system:bootstrap";

/**
 * Creates an API key and its audit row in one transaction, outside the HTTP API (CLI and first
 * start). The token is returned once; only its salted hash is stored.
 */
export async function createApiKeyDirect(
  database: Database,
  name: string,
  role: ApiKeyRole,
  now = new Date(),
): Promise<IssuedKey> {
  const keys = new ApiKeysRepository();
  const audit = new AuditRepository();
  return database.db.transaction(async (tx) => {
    const issued = issueApiKey(name, role, now);
    await keys.insert(tx, issued.row);
    await audit.append(
      tx,
      { actor: SYSTEM_ACTOR, action: "api_key.created", payload: { id: issued.row.id, name, role } },
      now,
    );
    return issued;
  });
}

/**
 * On first start, when `file` is configured and no active admin key exists, creates one and
 * writes its token to `file` (mode 0600, refusing to overwrite). The token never goes to the log.
 *
 * @returns the new key's id, or `undefined` when nothing was needed.
 */
export async function bootstrapAdminKey(
  database: Database,
  file: string | undefined,
): Promise<string | undefined> {
  if (file === undefined) return undefined;
  if ((await new ApiKeysRepository().countActive(database.db, "admin")) > 0) return undefined;
  const issued = await createApiKeyDirect(database, "bootstrap admin", "admin");
  writeFileSync(file, issued.token + "\n", { mode: 0o600, flag: "wx" });
  return issued.row.id;
}
