import { bytesToHex } from "@noble/hashes/utils.js";
import { IntegrityError, InvalidInputError } from "../errors.js";
import { envelopeDigest } from "../envelope/envelope.js";
import { readEnvelopeFile } from "../envelope/files.js";
import {
  describe,
  parseAccessStructure,
  parties as structureParties,
  structureHash,
} from "../crypto/access.js";
import { tezosAddress } from "../crypto/ed25519-keys.js";
import { checkPartyPublicKeys } from "../crypto/party-keys.js";
import type { ShareCommitments } from "../crypto/sharing.js";
import { verifyCommitments } from "../crypto/sharing.js";
import { addressFromPublicKey } from "../chains/evm/address.js";
import { BurnRegistry } from "../chains/burn-registry.js";
import type { PartyPublicPayload } from "./party.js";
import type { ShareFilePayload } from "./shares.js";
import { anyGroup, commitmentsDigest } from "./shares.js";
import type { TranscriptKey } from "./transcript.js";
import {
  artefactPath,
  checkTranscriptArtefacts,
  checkTranscriptSignatures,
  readTranscript,
} from "./transcript.js";

/** What {@link verifyTranscript} established. */
export interface TranscriptReport {
  readonly ceremonyId: string;
  readonly createdAt: string;
  readonly structure: string;
  readonly signedBy: readonly string[];
  readonly notSignedBy: readonly string[];
  readonly keys: readonly { id: string; address: string; successor?: string }[];
  readonly artefacts: number;
  readonly registryChecked: boolean;
}

function fail(subject: string, message: string): never {
  throw new IntegrityError(subject, message);
}

function checkKey(key: TranscriptKey, structure: ReturnType<typeof parseAccessStructure>): void {
  const subject = `key ${key.id}`;
  const commitments = key.commitments as unknown as ShareCommitments;
  if (commitmentsDigest(commitments) !== key.commitmentsSha256)
    fail(subject, "commitments do not match their sha256");
  if (commitments.group !== key.curve)
    fail(subject, `commitments are over ${commitments.group}, not ${key.curve}`);
  let publicKey: Uint8Array;
  try {
    publicKey = verifyCommitments(anyGroup(key.curve), structure, commitments).publicKeyBytes;
  } catch (error) {
    fail(subject, `commitment tree does not verify (${(error as Error).message})`);
  }
  if (bytesToHex(publicKey) !== key.publicKey)
    fail(subject, "commitments do not commit to the recorded public key");
  const address = key.curve === "secp256k1" ? addressFromPublicKey(publicKey) : tezosAddress(publicKey);
  if (address !== key.address) fail(subject, `public key gives ${address}, not the recorded ${key.address}`);
}

/**
 * Re-checks a ceremony transcript from its file: envelope checksum, every party signature,
 * every artefact's sha256, the party key files, the access structure (hash and description),
 * for every key that its commitments verify and give the recorded public key and address,
 * that each current key's successor is a key of the same ceremony and chain, that every share
 * file carries exactly the transcript's commitments, and optionally the burn registry's birth
 * records.
 *
 * @param options.requireAllSignatures - fail unless every party signed
 * @param options.registry - a burn registry file to check against the transcript
 * @throws {IntegrityError} naming the first thing that does not verify
 * @example
 * const report = verifyTranscript("ceremony/transcript.json");
 */
export function verifyTranscript(
  file: string,
  options: { requireAllSignatures?: boolean; registry?: string } = {},
): TranscriptReport {
  const env = readTranscript(file);
  const body = env.payload.body;
  if (body?.version !== 1) throw new InvalidInputError("transcript.body.version", "expected 1");
  const signedBy = checkTranscriptSignatures(env.payload);
  const notSignedBy = body.parties.map((p) => p.name).filter((n) => !signedBy.includes(n));
  if (options.requireAllSignatures && notSignedBy.length > 0) {
    fail("transcript", `not signed by ${notSignedBy.join(", ")}`);
  }
  checkTranscriptArtefacts(file, body);

  const structure = parseAccessStructure(body.structure.json);
  if (structureHash(structure) !== body.structure.hash)
    fail("access structure", "does not match its recorded hash");
  if (describe(structure) !== body.structure.description) {
    fail("access structure", `description should read "${describe(structure)}"`);
  }
  const names = structureParties(structure);
  const listed = body.parties.map((p) => p.name);
  if (names.join(",") !== listed.join(","))
    fail("parties", `listed ${listed.join(", ")} but the structure has ${names.join(", ")}`);

  for (const party of body.parties) {
    const artefact = body.artefacts.find(
      (a) => a.type === "party-public" && a.path === `parties/${party.name}.party.json`,
    );
    if (artefact === undefined) fail(`party ${party.name}`, "its public key file is not among the artefacts");
    const pub = readEnvelopeFile<PartyPublicPayload>(artefactPath(file, artefact.path), "party-public");
    checkPartyPublicKeys(pub.payload);
    if (envelopeDigest(pub) !== party.envelopeSha256)
      fail(`party ${party.name}`, "public key file differs from the recorded one");
    if (
      pub.payload.signingKey !== party.signingKey ||
      pub.payload.encryptionKey !== party.encryptionKey ||
      pub.payload.keyId !== party.keyId
    ) {
      fail(`party ${party.name}`, "recorded keys differ from its public key file");
    }
  }

  for (const key of body.keys) checkKey(key, structure);
  for (const key of body.keys) {
    if (key.role !== "current") continue;
    const next = body.keys.find(
      (k) => k.role === "successor" && k.chain === key.chain && k.address === key.successor,
    );
    if (next === undefined)
      fail(`key ${key.id}`, `successor ${String(key.successor)} is not a key of this ceremony`);
  }

  for (const artefact of body.artefacts.filter((a) => a.type === "share")) {
    const shareFile = readEnvelopeFile<ShareFilePayload>(artefactPath(file, artefact.path), "share").payload;
    const subject = `share file ${artefact.path}`;
    if (shareFile.ceremonyId !== body.ceremonyId) fail(subject, "belongs to another ceremony");
    if (shareFile.structureHash !== body.structure.hash) fail(subject, "uses another access structure");
    if (shareFile.keys.length !== body.keys.length) fail(subject, "does not hold one share per key");
    for (const k of shareFile.keys) {
      const recorded = body.keys.find((t) => t.id === k.id);
      if (
        recorded === undefined ||
        commitmentsDigest(k.commitments) !== recorded.commitmentsSha256 ||
        k.address !== recorded.address
      ) {
        fail(subject, `key ${k.id} differs from the transcript`);
      }
    }
  }

  if (options.registry !== undefined) {
    const registry = BurnRegistry.open(options.registry);
    for (const key of body.keys.filter((k) => k.role === "current")) {
      const entry = registry.get(key.address);
      if (entry === undefined) fail("burn registry", `${key.address} is not registered`);
      if (entry.successor !== key.successor)
        fail(
          "burn registry",
          `${key.address} has successor ${entry.successor}, not ${String(key.successor)}`,
        );
    }
  }

  return {
    ceremonyId: body.ceremonyId,
    createdAt: body.createdAt,
    structure: body.structure.description,
    signedBy,
    notSignedBy,
    keys: body.keys.map((k) => ({
      id: k.id,
      address: k.address,
      ...(k.successor ? { successor: k.successor } : {}),
    })),
    artefacts: body.artefacts.length,
    registryChecked: options.registry !== undefined,
  };
}
