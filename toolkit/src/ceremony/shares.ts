import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { IntegrityError, InvalidInputError } from "../errors.js";
import { canonicalJson } from "../envelope/canonical.js";
import type { Envelope } from "../envelope/envelope.js";
import { readEnvelopeFile } from "../envelope/files.js";
import type { AccessStructure } from "../crypto/access.js";
import { parseAccessStructure, structureHash } from "../crypto/access.js";
import type { Group } from "../crypto/curves.js";
import { groupByName } from "../crypto/curves.js";
import type { PartyKeys } from "../crypto/party-keys.js";
import type { EncryptedShare } from "../crypto/share-encryption.js";
import { decryptShare } from "../crypto/share-encryption.js";
import type { PartyShare, ShareCommitments } from "../crypto/sharing.js";
import { verifyCommitments, verifyShare } from "../crypto/sharing.js";

/** Label of a cold key inside a ceremony. */
export type KeyLabel = "evm-current" | "evm-successor" | "tezos-current" | "tezos-successor";

/** Public description of one cold key, repeated in every share file and in the transcript. */
export interface ColdKeyInfo {
  readonly id: KeyLabel;
  readonly chain: "evm" | "tezos";
  readonly curve: "secp256k1" | "ed25519";
  readonly role: "current" | "successor";
  /** Encoded public key, hex without 0x. */
  readonly publicKey: string;
  /** 0x… (EIP-55) or tz1…. */
  readonly address: string;
  /** Address of the successor key, for a current key. */
  readonly successor?: string;
  readonly commitments: ShareCommitments;
}

/** One key's entry in a party's share file. */
export interface ShareFileKey extends ColdKeyInfo {
  readonly encrypted: EncryptedShare;
}

/** Payload of a "share" envelope: everything one party holds from one ceremony. */
export interface ShareFilePayload {
  readonly version: 1;
  readonly ceremonyId: string;
  readonly party: string;
  readonly structure: unknown;
  readonly structureHash: string;
  readonly keys: readonly ShareFileKey[];
  [key: string]: unknown;
}

/** The binding id an encrypted share is sealed to: ceremony, key label and address. */
export function shareBindingId(ceremonyId: string, key: Pick<ColdKeyInfo, "id" | "address">): string {
  return `coldpath/${ceremonyId}/${key.id}/${key.address}`;
}

/** sha256 hex of the canonical JSON of a commitment tree: how files refer to one sharing. */
export function commitmentsDigest(commitments: ShareCommitments): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(commitments, "commitments"))));
}

/** The group of a curve name, with its point type erased (share files carry both curves). */
export function anyGroup(curve: string): Group<unknown> {
  return groupByName(curve) as unknown as Group<unknown>;
}

/** A share file read from disk, with its structure parsed. */
export interface LoadedShareFile {
  readonly file: string;
  readonly envelope: Envelope<ShareFilePayload>;
  readonly structure: AccessStructure;
}

/**
 * Reads a share file and checks its public parts: structure hash, and for every key that the
 * commitment tree is consistent and commits to the recorded public key.
 *
 * @throws {InvalidInputError} for a malformed file
 * @throws {IntegrityError} when the structure or commitments do not match what is recorded
 */
export function readShareFile(file: string): LoadedShareFile {
  const envelope = readEnvelopeFile<ShareFilePayload>(file, "share");
  const p = envelope.payload;
  if (p.version !== 1 || typeof p.party !== "string" || !Array.isArray(p.keys)) {
    throw new InvalidInputError(`${file}: payload`, "not a version 1 share file");
  }
  const structure = parseAccessStructure(p.structure);
  if (structureHash(structure) !== p.structureHash) {
    throw new IntegrityError(`share file ${file}`, "structure does not match its recorded hash");
  }
  for (const key of p.keys) {
    const group = anyGroup(key.curve);
    const verified = verifyCommitments(group, structure, key.commitments);
    if (bytesToHex(verified.publicKeyBytes) !== key.publicKey) {
      throw new IntegrityError(
        `share file ${file}`,
        `commitments of ${key.id} do not commit to its public key`,
      );
    }
  }
  return { file, envelope, structure };
}

/**
 * Finds the key entry of a share file by address (EVM addresses compare case-insensitively).
 *
 * @throws {InvalidInputError} when the file holds no share of that address
 */
export function keyByAddress(loaded: LoadedShareFile, address: string): ShareFileKey {
  const want = address.startsWith("0x") ? address.toLowerCase() : address;
  const key = loaded.envelope.payload.keys.find(
    (k) => (k.address.startsWith("0x") ? k.address.toLowerCase() : k.address) === want,
  );
  if (key === undefined) {
    throw new InvalidInputError(
      "share",
      `${loaded.file} (party ${loaded.envelope.payload.party}) holds no share of ${address}`,
    );
  }
  return key;
}

/** Finds the key entry of a share file by label. */
export function keyByLabel(loaded: LoadedShareFile, label: string): ShareFileKey {
  const key = loaded.envelope.payload.keys.find((k) => k.id === label);
  if (key === undefined) throw new InvalidInputError("key", `${loaded.file} holds no key labelled ${label}`);
  return key;
}

/**
 * Decrypts one key's share with the party's unlocked keys and verifies it against the
 * commitments before returning it.
 *
 * @throws {IntegrityError} for a share made for someone else, altered, or not matching the
 *   commitments (the error names the party)
 */
export function openShare(loaded: LoadedShareFile, key: ShareFileKey, partyKeys: PartyKeys): PartyShare {
  const p = loaded.envelope.payload;
  if (partyKeys.party !== p.party) {
    throw new InvalidInputError(
      "key",
      `key file of ${partyKeys.party} cannot open the share file of ${p.party}`,
    );
  }
  const group = anyGroup(key.curve);
  const share = decryptShare(group, key.encrypted, partyKeys, {
    keyId: shareBindingId(p.ceremonyId, key),
    structureHash: p.structureHash,
  });
  verifyShare(group, loaded.structure, key.commitments, p.party, share);
  return share;
}

/**
 * Checks that several share files describe the same key the same way (same structure and same
 * commitments) and come from different parties.
 *
 * @throws {IntegrityError} naming the file that disagrees
 */
export function assertSameKey(entries: readonly { loaded: LoadedShareFile; key: ShareFileKey }[]): void {
  const first = entries[0];
  if (first === undefined) throw new InvalidInputError("shares", "no share files given");
  const digest = commitmentsDigest(first.key.commitments);
  const seen = new Set<string>();
  for (const { loaded, key } of entries) {
    const party = loaded.envelope.payload.party;
    if (seen.has(party)) throw new InvalidInputError("shares", `two share files of ${party}`);
    seen.add(party);
    if (loaded.envelope.payload.structureHash !== first.loaded.envelope.payload.structureHash) {
      throw new IntegrityError(
        `share file ${loaded.file}`,
        "uses a different access structure from the others",
      );
    }
    if (commitmentsDigest(key.commitments) !== digest) {
      throw new IntegrityError(
        `share file ${loaded.file}`,
        `records different commitments for ${key.address}`,
      );
    }
  }
}
