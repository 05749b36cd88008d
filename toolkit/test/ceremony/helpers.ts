import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createParty, unlockParty, writeParty } from "../../src/ceremony/party.js";
import type { CreatedParty } from "../../src/ceremony/party.js";

/** Cheap scrypt for tests only; production files use the crypto module's default. */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 } as const;

export const passphraseOf = (name: string): string => `passphrase of ${name}`;

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `cp-${prefix}-`));
}

/** Creates parties with test passphrases and writes their files into `dir`. */
export function makeParties(
  names: readonly string[],
  dir: string,
): Map<string, { created: CreatedParty; publicFile: string; secretFile: string }> {
  const out = new Map<string, { created: CreatedParty; publicFile: string; secretFile: string }>();
  for (const name of names) {
    const created = createParty(name, passphraseOf(name), { scrypt: TEST_SCRYPT });
    out.set(name, { created, ...writeParty(dir, created) });
  }
  return out;
}

export function unlock(created: CreatedParty, name: string): ReturnType<typeof unlockParty> {
  return unlockParty(created.secret, passphraseOf(name));
}
