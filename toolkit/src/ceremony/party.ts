import { existsSync } from "node:fs";
import { join } from "node:path";
import { InvalidInputError } from "../errors.js";
import type { Envelope } from "../envelope/envelope.js";
import { createEnvelope, envelopeDigest } from "../envelope/envelope.js";
import { readEnvelopeFile, writeEnvelopeFile } from "../envelope/files.js";
import type { Rng } from "../crypto/entropy.js";
import { osRng } from "../crypto/entropy.js";
import type { PartyKeyFile, PartyKeys, PartyPublicKeys, ScryptParams } from "../crypto/party-keys.js";
import {
  DEFAULT_SCRYPT,
  checkPartyPublicKeys,
  decryptPartyKeys,
  encryptPartyKeys,
  generatePartyKeys,
} from "../crypto/party-keys.js";

/** Payload of a "party-public" envelope: the crypto module's public key record. */
export type PartyPublicPayload = PartyPublicKeys & Record<string, unknown>;

/** Payload of a "party-secret" envelope: the passphrase-encrypted key file. */
export type PartySecretPayload = PartyKeyFile & Record<string, unknown>;

/** What {@link createParty} returns. */
export interface CreatedParty {
  readonly public: Envelope<PartyPublicPayload>;
  readonly secret: Envelope<PartySecretPayload>;
}

/**
 * Creates a party: an X25519 pair (shares are encrypted to it) and an Ed25519 pair (it signs
 * transcripts). The secret halves leave this function only encrypted under the passphrase.
 *
 * @param scrypt - KDF cost; keep the default outside tests
 * @throws {InvalidInputError} on a bad party name or a passphrase under 8 characters
 * @example
 * const alice = createParty("alice", "correct horse battery staple");
 */
export function createParty(
  name: string,
  passphrase: string,
  options: { scrypt?: ScryptParams; rng?: Rng } = {},
): CreatedParty {
  const keys = generatePartyKeys(name, options.rng ?? osRng);
  try {
    const file = encryptPartyKeys(keys, passphrase, options.scrypt ?? DEFAULT_SCRYPT, options.rng ?? osRng);
    return {
      public: createEnvelope<PartyPublicPayload>("party-public", { ...keys.public }),
      secret: createEnvelope<PartySecretPayload>("party-secret", { ...file } as PartySecretPayload),
    };
  } finally {
    keys.wipe();
  }
}

/**
 * Writes a created party as `<dir>/<name>.party.json` (public, shareable) and
 * `<dir>/<name>.key.json` (secret, encrypted; mode 0600). Refuses to overwrite.
 *
 * @throws {InvalidInputError} when either file already exists
 */
export function writeParty(dir: string, party: CreatedParty): { publicFile: string; secretFile: string } {
  const name = party.public.payload.party;
  const publicFile = join(dir, `${name}.party.json`);
  const secretFile = join(dir, `${name}.key.json`);
  for (const f of [publicFile, secretFile]) {
    if (existsSync(f))
      throw new InvalidInputError("out", `${f} already exists; refusing to overwrite a party key`);
  }
  writeEnvelopeFile(secretFile, party.secret, 0o600);
  writeEnvelopeFile(publicFile, party.public, 0o644);
  return { publicFile, secretFile };
}

/**
 * Reads and checks a party's public envelope (key id must match the keys).
 *
 * @throws {InvalidInputError} / {IntegrityError} for a malformed or altered file
 */
export function readPartyPublic(file: string): Envelope<PartyPublicPayload> {
  const env = readEnvelopeFile<PartyPublicPayload>(file, "party-public");
  checkPartyPublicKeys(env.payload);
  return env;
}

/** Checks a party public envelope given as an object. */
export function checkPartyPublic(env: Envelope<PartyPublicPayload>): PartyPublicKeys {
  checkPartyPublicKeys(env.payload);
  return env.payload;
}

/**
 * Unlocks a party's key file with its passphrase.
 *
 * @throws {IntegrityError} for a wrong passphrase or an altered file
 */
export function unlockParty(file: string | Envelope<PartySecretPayload>, passphrase: string): PartyKeys {
  const env = typeof file === "string" ? readEnvelopeFile<PartySecretPayload>(file, "party-secret") : file;
  return decryptPartyKeys(inWriterOrder(env.payload), passphrase);
}

/**
 * The key file's associated data is the JSON of its public record and KDF parameters in the
 * order the crypto module wrote them, while envelopes store keys sorted; rebuild that order.
 */
function inWriterOrder(p: PartySecretPayload): PartyKeyFile {
  const pub = p.public ?? ({} as PartyPublicKeys);
  const kdf = p.kdf ?? ({} as PartyKeyFile["kdf"]);
  return {
    version: p.version,
    kind: p.kind,
    public: {
      version: pub.version,
      party: pub.party,
      keyId: pub.keyId,
      encryptionKey: pub.encryptionKey,
      signingKey: pub.signingKey,
    },
    kdf: { name: kdf.name, N: kdf.N, r: kdf.r, p: kdf.p, salt: kdf.salt },
    cipher: p.cipher,
    nonce: p.nonce,
    ciphertext: p.ciphertext,
  };
}

/** sha256 of a party's public envelope, as the transcript records it. */
export function partyEnvelopeDigest(env: Envelope<PartyPublicPayload>): string {
  return envelopeDigest(env);
}
