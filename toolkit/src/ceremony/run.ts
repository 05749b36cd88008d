import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { bytesToHex } from "@noble/hashes/utils.js";
import { IntegrityError, InvalidInputError } from "../errors.js";
import type { Envelope } from "../envelope/envelope.js";
import { createEnvelope } from "../envelope/envelope.js";
import { writeEnvelopeFile } from "../envelope/files.js";
import type { AccessStructure } from "../crypto/access.js";
import {
  describe,
  parseAccessStructure,
  parties as structureParties,
  structureHash,
  toJson,
} from "../crypto/access.js";
import type { Group } from "../crypto/curves.js";
import { ed25519Group, secp256k1Group } from "../crypto/curves.js";
import { generateEd25519Scalar, tezosAddress } from "../crypto/ed25519-keys.js";
import type { Rng } from "../crypto/entropy.js";
import { diceEntropyBits, mixedRng, osRng, parseDiceRolls } from "../crypto/entropy.js";
import type { PartyKeys, PartyPublicKeys } from "../crypto/party-keys.js";
import { encryptShare } from "../crypto/share-encryption.js";
import { splitSecret, verifyShare } from "../crypto/sharing.js";
import { addressFromPublicKey } from "../chains/evm/address.js";
import { BurnRegistry } from "../chains/burn-registry.js";
import type { PartyPublicPayload } from "./party.js";
import { checkPartyPublic, partyEnvelopeDigest } from "./party.js";
import type { ColdKeyInfo, KeyLabel, ShareFileKey, ShareFilePayload } from "./shares.js";
import { commitmentsDigest, shareBindingId } from "./shares.js";
import type { TranscriptArtefact, TranscriptBody, TranscriptKey, TranscriptPayload } from "./transcript.js";
import { sha256Hex, signTranscript } from "./transcript.js";

/** The two curves a ceremony can generate keys on. */
export type CeremonyCurve = "secp256k1" | "ed25519";

/** One party taking part: its public envelope and, when present in the room, its unlocked keys. */
export interface CeremonyPartyInput {
  readonly public: Envelope<PartyPublicPayload>;
  /** Unlocked keys of a party present at the ceremony; it signs the transcript. */
  readonly keys?: PartyKeys;
}

/** Options of {@link runCeremony}. */
export interface CeremonyOptions {
  readonly parties: readonly CeremonyPartyInput[];
  /** Access structure in its JSON form (see the crypto module's parseAccessStructure). */
  readonly structure: unknown;
  /** Which cold keys to generate; both by default. */
  readonly curves?: readonly CeremonyCurve[];
  /** Dice rolls mixed into the OS randomness. */
  readonly entropy?: string;
  readonly outDir: string;
  /** Contracts of the current keys (vote proxies, KT1s) that post-burn sweeps may call. */
  readonly contracts?: { readonly evm?: readonly string[]; readonly tezos?: readonly string[] };
  /** Randomness source; tests inject a deterministic one. Defaults to the OS CSPRNG. */
  readonly rng?: Rng;
  /** Clock, for reproducible transcripts in tests. */
  readonly now?: Date;
}

/** What a ceremony produced. */
export interface CeremonyResult {
  readonly ceremonyId: string;
  readonly transcriptFile: string;
  readonly registryFile: string;
  readonly shareFiles: Readonly<Record<string, string>>;
  readonly keys: readonly ColdKeyInfo[];
  readonly signedBy: readonly string[];
  readonly transcript: Envelope<TranscriptPayload>;
}

const CHAIN_OF: Record<CeremonyCurve, "evm" | "tezos"> = { secp256k1: "evm", ed25519: "tezos" };

/**
 * Remembers every random buffer handed out so the ceremony can zero them all at the end: the
 * bytes behind the cold keys and the sharing polynomials live in these buffers.
 */
function wipingRng(base: Rng): { rng: Rng; wipe(): void } {
  const issued: Uint8Array[] = [];
  return {
    rng: (n) => {
      const bytes = base(n);
      issued.push(bytes);
      return bytes;
    },
    wipe: () => {
      for (const b of issued) b.fill(0);
      issued.length = 0;
    },
  };
}

interface GeneratedKey {
  readonly info: ColdKeyInfo;
  readonly encrypted: ReadonlyMap<string, ShareFileKey>;
}

function generateKey(
  curve: CeremonyCurve,
  role: "current" | "successor",
  successor: string | undefined,
  ctx: {
    ceremonyId: string;
    structure: AccessStructure;
    parties: ReadonlyMap<string, PartyPublicKeys>;
    rng: Rng;
  },
): GeneratedKey {
  const group = (curve === "secp256k1" ? secp256k1Group : ed25519Group) as unknown as Group<unknown>;
  // The secret exists only as this bigint; JavaScript cannot zero a bigint, so it is dropped as
  // soon as it is split (see the README's memory section).
  let secret = curve === "secp256k1" ? group.randomScalar(ctx.rng) : generateEd25519Scalar(ctx.rng);
  const publicKeyBytes = group.encodePoint(group.baseMul(secret));
  const address = curve === "secp256k1" ? addressFromPublicKey(publicKeyBytes) : tezosAddress(publicKeyBytes);
  const split = splitSecret(group, secret, ctx.structure, ctx.rng);
  secret = 0n;
  if (bytesToHex(split.publicKey) !== bytesToHex(publicKeyBytes)) {
    throw new IntegrityError(
      "ceremony",
      `sharing of ${CHAIN_OF[curve]}-${role} does not commit to its public key`,
    );
  }
  const info: ColdKeyInfo = {
    id: `${CHAIN_OF[curve]}-${role}` as KeyLabel,
    chain: CHAIN_OF[curve],
    curve,
    role,
    publicKey: bytesToHex(publicKeyBytes),
    address,
    ...(successor !== undefined ? { successor } : {}),
    commitments: split.commitments,
  };
  const encrypted = new Map<string, ShareFileKey>();
  for (const [party, share] of split.shares) {
    // Every share is checked against the public commitments before it is sealed.
    verifyShare(group, ctx.structure, split.commitments, party, share);
    const recipient = ctx.parties.get(party) as PartyPublicKeys;
    const enc = encryptShare(
      group,
      share,
      recipient,
      { keyId: shareBindingId(ctx.ceremonyId, info), structureHash: split.commitments.structureHash },
      ctx.rng,
    );
    encrypted.set(party, { ...info, encrypted: enc });
  }
  split.shares.clear();
  return { info, encrypted };
}

/**
 * Runs a key ceremony: for every curve, generates the successor cold key then the current one
 * (so the sweep destination is fixed before the current key can ever sign), splits each with
 * the access structure, verifies every share against the commitments, encrypts each party's
 * shares to that party, and writes:
 *
 * - `shares/<party>.share.json`: one file per party ("share" envelope),
 * - `parties/<party>.party.json`: the public keys used,
 * - `burn-registry.jsonl`: each current key registered with its successor,
 * - `transcript.json`: every public artefact with its sha256, the structure and its
 *   description, addresses, commitments, signed by every party present.
 *
 * Secret keys are never written in the clear; random buffers are zeroed at the end; bigints
 * holding secrets cannot be zeroed by JavaScript and are dropped instead.
 *
 * @throws {InvalidInputError} for a bad structure, parties that do not match it, bad dice, no
 *   party present to sign, or an output folder that already holds a ceremony
 * @example
 * const result = runCeremony({ parties, structure: { threshold: 2, of: ["alice", "bob", "carol"] }, outDir: "ceremony" });
 */
export function runCeremony(options: CeremonyOptions): CeremonyResult {
  const structure = parseAccessStructure(options.structure);
  const names = structureParties(structure);
  const publics = new Map<string, PartyPublicKeys>();
  const envelopes = new Map<string, Envelope<PartyPublicPayload>>();
  for (const [i, p] of options.parties.entries()) {
    const pub = checkPartyPublic(p.public);
    if (publics.has(pub.party)) throw new InvalidInputError(`parties[${i}]`, `${pub.party} is listed twice`);
    if (!names.includes(pub.party)) {
      throw new InvalidInputError(`parties[${i}]`, `${pub.party} does not appear in the access structure`);
    }
    if (p.keys !== undefined && p.keys.keyId !== pub.keyId) {
      throw new InvalidInputError(
        `parties[${i}]`,
        `the unlocked keys of ${pub.party} do not match its public file`,
      );
    }
    publics.set(pub.party, pub);
    envelopes.set(pub.party, p.public);
  }
  const missing = names.filter((n) => !publics.has(n));
  if (missing.length > 0)
    throw new InvalidInputError("parties", `no public key file for ${missing.join(", ")}`);
  const signers = options.parties.filter((p) => p.keys !== undefined).map((p) => p.keys as PartyKeys);
  if (signers.length === 0)
    throw new InvalidInputError("parties", "at least one party must be present to sign the transcript");
  const curves = options.curves ?? ["secp256k1", "ed25519"];
  if (curves.length === 0 || new Set(curves).size !== curves.length || curves.some((c) => !(c in CHAIN_OF))) {
    throw new InvalidInputError(
      "curves",
      "expected a non-empty list of distinct curves among secp256k1, ed25519",
    );
  }
  const dice = options.entropy !== undefined ? parseDiceRolls(options.entropy).length : 0;
  const outDir = options.outDir;
  const transcriptFile = join(outDir, "transcript.json");
  const registryFile = join(outDir, "burn-registry.jsonl");
  if (existsSync(transcriptFile) || existsSync(registryFile)) {
    throw new InvalidInputError("outDir", `${outDir} already holds a ceremony; use an empty folder`);
  }
  // Both layers are tracked: the OS bytes fed to the dice mixer and the mixed output.
  const os = wipingRng(options.rng ?? osRng);
  const mixed = options.entropy !== undefined ? wipingRng(mixedRng(options.entropy, os.rng)) : os;
  const random = {
    rng: mixed.rng,
    wipe: (): void => {
      mixed.wipe();
      os.wipe();
    },
  };
  try {
    const ceremonyId = bytesToHex(random.rng(16));
    const ctx = { ceremonyId, structure, parties: publics, rng: random.rng };
    const generated: GeneratedKey[] = [];
    for (const curve of curves) {
      const next = generateKey(curve, "successor", undefined, ctx);
      const current = generateKey(curve, "current", next.info.address, ctx);
      generated.push(current, next);
    }

    mkdirSync(join(outDir, "shares"), { recursive: true, mode: 0o700 });
    mkdirSync(join(outDir, "parties"), { recursive: true });
    const artefacts: TranscriptArtefact[] = [];
    const record = (relative: string, type: string): void => {
      artefacts.push({ path: relative, type, sha256: sha256Hex(readFileSync(join(outDir, relative))) });
    };
    for (const name of names) {
      const rel = `parties/${name}.party.json`;
      writeEnvelopeFile(join(outDir, rel), envelopes.get(name) as Envelope<PartyPublicPayload>, 0o644);
      record(rel, "party-public");
    }
    const shareFiles: Record<string, string> = {};
    for (const name of names) {
      const payload: ShareFilePayload = {
        version: 1,
        ceremonyId,
        party: name,
        structure: toJson(structure),
        structureHash: structureHash(structure),
        keys: generated.map((g) => g.encrypted.get(name) as ShareFileKey),
      };
      const rel = `shares/${name}.share.json`;
      writeEnvelopeFile(join(outDir, rel), createEnvelope("share", payload), 0o600);
      record(rel, "share");
      shareFiles[name] = join(outDir, rel);
    }

    const registry = BurnRegistry.open(registryFile);
    for (const g of generated) {
      if (g.info.role !== "current") continue;
      const contracts = g.info.chain === "evm" ? options.contracts?.evm : options.contracts?.tezos;
      registry.registerKey({
        keyId: g.info.address,
        successor: g.info.successor as string,
        ...(contracts !== undefined ? { contracts } : {}),
      });
    }

    const keys: TranscriptKey[] = generated.map((g) => ({
      ...g.info,
      commitments: g.info.commitments as unknown as Record<string, unknown>,
      commitmentsSha256: commitmentsDigest(g.info.commitments),
    }));
    const body: TranscriptBody = {
      version: 1,
      ceremonyId,
      createdAt: (options.now ?? new Date()).toISOString(),
      entropy: {
        source: dice > 0 ? "os+dice" : "os",
        diceRolls: dice,
        diceEntropyBits: Math.floor(diceEntropyBits(dice)),
      },
      structure: {
        json: toJson(structure),
        description: describe(structure),
        hash: structureHash(structure),
      },
      parties: names.map((name) => {
        const pub = publics.get(name) as PartyPublicKeys;
        return {
          name,
          keyId: pub.keyId,
          encryptionKey: pub.encryptionKey,
          signingKey: pub.signingKey,
          envelopeSha256: partyEnvelopeDigest(envelopes.get(name) as Envelope<PartyPublicPayload>),
        };
      }),
      keys,
      artefacts,
    };
    const transcript = signTranscript(
      body,
      signers.map((k) => ({ party: k.party, signTranscript: (m: Uint8Array) => k.signTranscript(m) })),
    );
    writeEnvelopeFile(transcriptFile, transcript, 0o644);
    return {
      ceremonyId,
      transcriptFile,
      registryFile,
      shareFiles,
      keys: generated.map((g) => g.info),
      signedBy: transcript.payload.signatures.map((s) => s.party),
      transcript,
    };
  } finally {
    random.wipe();
  }
}
