import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { ApiKeyRole } from "../../../db/src/schema.js";
import type { ApiKeyRow } from "../../../db/src/repositories.js";

/**
 * API key tokens look like `cpk_<key id, 32 hex>_<secret, 43 base64url chars>`. The id lets the
 * service find the row without scanning; only `sha256(salt || secret)` is stored. A 32-byte random
 * secret needs no slow KDF: it cannot be guessed, only stolen, and the hash makes a stolen
 * database useless for authenticating.
 */
const TOKEN_PATTERN = /^cpk_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export interface IssuedKey {
  readonly row: ApiKeyRow;
  /** Shown exactly once to whoever created the key; never stored or logged. */
  readonly token: string;
}

function secretHash(salt: string, secret: string): Buffer {
  return createHash("sha256").update(Buffer.from(salt, "hex")).update(secret, "utf8").digest();
}

/**
 * Creates a new key row and its token.
 *
 * @example const { row, token } = issueApiKey("ops laptop", "operator", new Date());
 */
export function issueApiKey(name: string, role: ApiKeyRole, at: Date): IssuedKey {
  const id = randomUUID();
  const secret = randomBytes(32).toString("base64url");
  const salt = randomBytes(16).toString("hex");
  const row: ApiKeyRow = {
    id,
    name,
    role,
    salt,
    hash: secretHash(salt, secret).toString("hex"),
    createdAt: at,
    revokedAt: null,
  };
  return { row, token: `cpk_${id.replaceAll("-", "")}_${secret}` };
}

/** Splits a token into the key id (uuid form) and the secret, or `undefined` if malformed. */
export function parseApiKeyToken(token: string): { id: string; secret: string } | undefined {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return undefined;
  const hex = match[1]!;
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { id, secret: match[2]! };
}

/** Constant-time check of a secret against a stored row. */
export function secretMatches(row: ApiKeyRow, secret: string): boolean {
  const expected = Buffer.from(row.hash, "hex");
  const actual = secretHash(row.salt, secret);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
