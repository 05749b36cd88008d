/**
 * Shares encrypted to a party's X25519 key: ephemeral-static ECDH, HKDF-SHA256, then
 * XChaCha20-Poly1305. The associated data binds the cold key id, the party, the recipient's key
 * id, the group, the structure hash and the leaf paths, so a ciphertext moved to another party,
 * key or structure fails with an IntegrityError instead of decrypting.
 */
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { IntegrityError, InvalidInputError } from "../errors.js";
import type { Group, GroupName } from "./curves.js";
import type { Rng } from "./entropy.js";
import { osRng } from "./entropy.js";
import type { PartyKeys, PartyPublicKeys } from "./party-keys.js";
import { checkPartyPublicKeys } from "./party-keys.js";
import type { PartyShare } from "./sharing.js";
import { decodePartyShare, encodePartyShare } from "./sharing.js";

/** Scheme identifier written into every encrypted share. */
export const SHARE_SCHEME = "x25519-hkdf-sha256-xchacha20poly1305";

/** An encrypted party share (JSON). Everything but `ciphertext` is public and authenticated. */
export interface EncryptedShare {
  readonly version: 1;
  readonly scheme: typeof SHARE_SCHEME;
  /** Identifier of the cold key this share belongs to (e.g. its public key hex). */
  readonly keyId: string;
  readonly party: string;
  readonly recipientKeyId: string;
  readonly group: GroupName;
  readonly structureHash: string;
  readonly leafPaths: readonly string[];
  readonly ephemeralPublicKey: string;
  readonly nonce: string;
  readonly ciphertext: string;
}

/** What the share is bound to. */
export interface ShareBinding {
  readonly keyId: string;
  readonly structureHash: string;
}

function header(e: Omit<EncryptedShare, "nonce" | "ciphertext">): Uint8Array {
  return utf8ToBytes(
    JSON.stringify([
      e.version,
      e.scheme,
      e.keyId,
      e.party,
      e.recipientKeyId,
      e.group,
      e.structureHash,
      e.leafPaths,
      e.ephemeralPublicKey,
    ]),
  );
}

function deriveKey(
  shared: Uint8Array,
  eph: Uint8Array,
  recipient: Uint8Array,
  recipientKeyId: string,
): Uint8Array {
  if (shared.every((b) => b === 0)) throw new IntegrityError("ephemeral key", "low-order X25519 point");
  return hkdf(
    sha256,
    shared,
    concatBytes(eph, recipient),
    utf8ToBytes(`coldpath/share-encryption/v1/${recipientKeyId}`),
    32,
  );
}

/**
 * Encrypts `share` to `recipient`.
 * @throws {InvalidInputError} if the recipient record is malformed or names another party.
 * @example
 * const enc = encryptShare(ed25519Group, shares.get("alice")!, alicePublic, { keyId, structureHash });
 */
export function encryptShare<P>(
  group: Group<P>,
  share: PartyShare,
  recipient: PartyPublicKeys,
  binding: ShareBinding,
  rng: Rng = osRng,
): EncryptedShare {
  checkPartyPublicKeys(recipient);
  if (recipient.party !== share.party)
    throw new InvalidInputError(
      "recipient",
      `share of "${share.party}" cannot be encrypted to "${recipient.party}"`,
    );
  if (typeof binding.keyId !== "string" || binding.keyId.length === 0)
    throw new InvalidInputError("keyId", "required");
  if (!/^[0-9a-f]{64}$/.test(binding.structureHash))
    throw new InvalidInputError("structureHash", "expected 32-byte hex");
  const ephSecret = rng(32);
  const eph = x25519.getPublicKey(ephSecret);
  const recipientKey = hexToBytes(recipient.encryptionKey);
  const shared = x25519.getSharedSecret(ephSecret, recipientKey);
  ephSecret.fill(0);
  const key = deriveKey(shared, eph, recipientKey, recipient.keyId);
  shared.fill(0);
  const head = {
    version: 1,
    scheme: SHARE_SCHEME,
    keyId: binding.keyId,
    party: share.party,
    recipientKeyId: recipient.keyId,
    group: group.name,
    structureHash: binding.structureHash,
    leafPaths: share.entries.map((e) => e.path),
    ephemeralPublicKey: bytesToHex(eph),
  } as const;
  const nonce = rng(24);
  const plain = encodePartyShare(group, share);
  const ciphertext = xchacha20poly1305(key, nonce, header(head)).encrypt(plain);
  plain.fill(0);
  key.fill(0);
  return { ...head, nonce: bytesToHex(nonce), ciphertext: bytesToHex(ciphertext) };
}

/**
 * Decrypts a share with the recipient's keys and checks every binding.
 * @param expected - the cold key id and structure hash the caller is working with.
 * @throws {IntegrityError} if the share was made for another party, key, cold key or structure,
 *   or if any byte was changed.
 */
export function decryptShare<P>(
  group: Group<P>,
  enc: EncryptedShare,
  keys: PartyKeys,
  expected: ShareBinding,
): PartyShare {
  const subject = `encrypted share of ${String(enc?.party)}`;
  if (enc?.version !== 1 || enc.scheme !== SHARE_SCHEME)
    throw new InvalidInputError("encryptedShare", `expected version 1 ${SHARE_SCHEME}`);
  if (enc.party !== keys.party)
    throw new IntegrityError(subject, `addressed to "${enc.party}", not "${keys.party}"`);
  if (enc.recipientKeyId !== keys.keyId)
    throw new IntegrityError(subject, `encrypted to key ${enc.recipientKeyId}, not ${keys.keyId}`);
  if (enc.keyId !== expected.keyId) throw new IntegrityError(subject, `belongs to cold key ${enc.keyId}`);
  if (enc.structureHash !== expected.structureHash)
    throw new IntegrityError(subject, "made for a different access structure");
  if (enc.group !== group.name) throw new IntegrityError(subject, `made for group ${enc.group}`);
  let eph: Uint8Array, nonce: Uint8Array, ct: Uint8Array;
  try {
    eph = hexToBytes(enc.ephemeralPublicKey);
    nonce = hexToBytes(enc.nonce);
    ct = hexToBytes(enc.ciphertext);
  } catch {
    throw new IntegrityError(subject, "fields are not hex");
  }
  if (eph.length !== 32 || nonce.length !== 24)
    throw new IntegrityError(subject, "bad ephemeral key or nonce length");
  const shared = keys.sharedSecret(eph);
  const key = deriveKey(shared, eph, hexToBytes(keys.public.encryptionKey), keys.keyId);
  shared.fill(0);
  let plain: Uint8Array;
  try {
    plain = xchacha20poly1305(key, nonce, header(enc)).decrypt(ct);
  } catch {
    throw new IntegrityError(
      subject,
      "authentication failed: ciphertext or header was altered, or wrong key",
    );
  } finally {
    key.fill(0);
  }
  const share = decodePartyShare(group, plain);
  plain.fill(0);
  const paths = share.entries.map((e) => e.path);
  if (share.party !== enc.party || paths.join(",") !== enc.leafPaths.join(","))
    throw new IntegrityError(subject, "content does not match its header");
  return share;
}
