import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { IntegrityError, InvalidInputError, RefusedError } from "../errors.js";
import { canonicalJson } from "../envelope/canonical.js";
import type { Envelope } from "../envelope/envelope.js";
import { createEnvelope } from "../envelope/envelope.js";
import { writeFileAtomic } from "../envelope/files.js";
import type { AccessStructure } from "../crypto/access.js";
import {
  explainUnqualified,
  isQualified,
  parseAccessStructure,
  partyIdentifiers,
  structureHash,
  toJson,
} from "../crypto/access.js";
import type { Rng } from "../crypto/entropy.js";
import { osRng } from "../crypto/entropy.js";
import { tezosAddress } from "../crypto/ed25519-keys.js";
import type { FrostCommitment, FrostPublicPackage, FrostSignatureShare } from "../crypto/frost.js";
import { aggregate, groupPublicKey, messageDigest, verify, verifySignatureShare } from "../crypto/frost.js";
import { NonceStore } from "../crypto/nonce-store.js";
import type { PartyKeys } from "../crypto/party-keys.js";
import type { ShareCommitments } from "../crypto/sharing.js";
import { contributingParties } from "../crypto/sharing.js";
import { BurnRegistry } from "../chains/burn-registry.js";
import type { ConfirmOptions } from "../chains/display.js";
import { confirm, renderRequest } from "../chains/display.js";
import type { ColdRequest, DecodedRequest, DecodedTezosRequest } from "../chains/request.js";
import { operationSigningHash } from "../chains/tezos/operation.js";
import { attachSignature, prepareTezosSigning } from "../chains/tezos/sign.js";
import { encodePublicKey } from "../chains/tezos/base58.js";
import { parseRequest } from "./requests.js";
import type { LoadedShareFile } from "./shares.js";
import { commitmentsDigest, keyByAddress, openShare } from "./shares.js";

/** Payload of a "round1" envelope: one signer's public nonce commitment. */
export interface Round1Payload {
  readonly version: 1;
  readonly party: string;
  /** The cold key's tz1. */
  readonly address: string;
  readonly requestDigest: string;
  readonly sessionId: string;
  readonly structure: unknown;
  readonly structureHash: string;
  readonly commitments: ShareCommitments;
  readonly commitment: FrostCommitment;
  readonly nonceId: string;
  readonly counter: number;
  readonly logSeq: number;
  [key: string]: unknown;
}

/** One signer inside a signing package. */
export interface PackageSigner {
  readonly party: string;
  readonly commitment: FrostCommitment;
  readonly nonceId: string;
  readonly counter: number;
  readonly logSeq: number;
}

/** Payload of a "signing-package" envelope, built by the untrusted relay. */
export interface SigningPackagePayload {
  readonly version: 1;
  readonly request: ColdRequest;
  readonly address: string;
  readonly sessionId: string;
  readonly structure: unknown;
  readonly structureHash: string;
  readonly commitments: ShareCommitments;
  /** Signers sorted by FROST identifier. */
  readonly signers: readonly PackageSigner[];
  [key: string]: unknown;
}

/** Payload of a "round2" envelope: one signer's signature share. */
export interface Round2Payload {
  readonly version: 1;
  readonly party: string;
  readonly address: string;
  readonly requestDigest: string;
  readonly sessionId: string;
  /** sha256 of the package's signed content; every share must name the same package. */
  readonly packageDigest: string;
  readonly share: FrostSignatureShare;
  readonly nonceId: string;
  readonly logSeq: number;
  readonly logHead: string;
  [key: string]: unknown;
}

/** Payload of a "signed-transaction" envelope for Tezos. */
export interface SignedTezosPayload {
  readonly chain: "tezos";
  readonly chainId: string;
  readonly source: string;
  readonly publicKey: string;
  readonly digest: string;
  /** Forged bytes followed by the signature, hex without 0x (for /injection/operation). */
  readonly signedBytes: string;
  readonly signature: string;
  readonly hash: string;
  readonly signers: readonly string[];
  [key: string]: unknown;
}

function tezosOnly(decoded: DecodedRequest): DecodedTezosRequest {
  if (decoded.kind !== "tezos-operation") {
    throw new InvalidInputError("request", "FROST signs Tezos operations; use evm sign for EVM requests");
  }
  return decoded;
}

/** The FROST message of a Tezos request: blake2b-256(0x03 ‖ forged), equal to its digest. */
function frostMessage(decoded: DecodedTezosRequest): Uint8Array {
  const message = operationSigningHash(decoded.forged);
  if (`0x${bytesToHex(message)}` !== decoded.digest)
    throw new IntegrityError("request", "digest is not the signing hash");
  return message;
}

function storeDir(base: string, party: string, address: string): string {
  return join(base, `${party}-${address}`);
}

/**
 * Public record of what a round-1 nonce was committed to, kept next to the nonce store. Round 2
 * reads it to refuse a package for another request or session before the burn registry is
 * touched (the nonce store itself would refuse too, but only after the write-ahead burn record).
 */
interface CommitmentRecord {
  readonly nonceId: string;
  readonly requestDigest: string;
  readonly sessionId: string;
}

function recordFile(base: string, party: string, address: string, nonceId: string): string {
  return join(`${storeDir(base, party, address)}.commitments`, `${nonceId}.json`);
}

function readCommitmentRecord(
  base: string,
  party: string,
  address: string,
  nonceId: string,
): CommitmentRecord {
  const file = recordFile(base, party, address, nonceId);
  if (!existsSync(file)) {
    throw new RefusedError(
      "NONCE_UNKNOWN",
      `${party} has no round-1 commitment ${nonceId.slice(0, 16)}… in this nonce store`,
    );
  }
  return JSON.parse(readFileSync(file, "utf8")) as CommitmentRecord;
}

function publicPackage(structure: unknown, commitments: ShareCommitments): FrostPublicPackage {
  return { structure: parseAccessStructure(structure), commitments };
}

/** sha256 over what a signing package fixes: request digest, key, session and signer list. */
export function packageDigest(p: SigningPackagePayload, requestDigest: string): string {
  const fixed = {
    requestDigest,
    address: p.address,
    sessionId: p.sessionId,
    commitments: commitmentsDigest(p.commitments),
    signers: p.signers.map((s) => s.commitment),
  };
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(fixed, "package"))));
}

/** Default session id of a request: its digest (nonces are bound to it at round 1). */
export function defaultSessionId(decoded: DecodedRequest): string {
  return decoded.digest;
}

/**
 * FROST round 1 for one signer: checks the request, draws a nonce pair bound to the request's
 * digest and session in the signer's durable nonce store, and returns the public commitment.
 * The nonces stay sealed in the store (under a key derived from the share) until round 2.
 *
 * @param options.registryFile - when given, refuses early if the key may not sign this request
 * @throws {InvalidInputError} for an EVM request or a share file without this key
 * @throws {RefusedError} KEY_BURNED when the registry refuses
 */
export function frostRound1(options: {
  decoded: DecodedRequest;
  shareFile: LoadedShareFile;
  keys: PartyKeys;
  nonceStore: string;
  sessionId?: string;
  registryFile?: string;
  rng?: Rng;
}): Envelope<Round1Payload> {
  const decoded = tezosOnly(options.decoded);
  const address = decoded.summary.source;
  const key = keyByAddress(options.shareFile, address);
  if (key.curve !== "ed25519") throw new InvalidInputError("share", `${address} is not an Ed25519 key`);
  if (options.registryFile !== undefined)
    BurnRegistry.open(options.registryFile).assertMaySign(address, decoded);
  const message = frostMessage(decoded);
  const sessionId = options.sessionId ?? defaultSessionId(decoded);
  const share = openShare(options.shareFile, key, options.keys);
  const p = options.shareFile.envelope.payload;
  const pkg = publicPackage(p.structure, key.commitments);
  const store = NonceStore.open(storeDir(options.nonceStore, p.party, address), pkg, p.party);
  const stored = store.createNonce(
    share,
    { messageDigest: messageDigest(message), sessionId },
    options.rng ?? osRng,
  );
  const record: CommitmentRecord = { nonceId: stored.nonceId, requestDigest: decoded.digest, sessionId };
  const recordPath = recordFile(options.nonceStore, p.party, address, stored.nonceId);
  mkdirSync(dirname(recordPath), { recursive: true, mode: 0o700 });
  writeFileAtomic(recordPath, JSON.stringify(record));
  return createEnvelope<Round1Payload>("round1", {
    version: 1,
    party: p.party,
    address,
    requestDigest: decoded.digest,
    sessionId,
    structure: p.structure,
    structureHash: p.structureHash,
    commitments: key.commitments,
    commitment: stored.commitment,
    nonceId: stored.nonceId,
    counter: stored.counter,
    logSeq: stored.logSeq,
  });
}

/**
 * The relay: merges round-1 envelopes into a signing package. It handles public data only and
 * can neither read a share nor forge a signature; every signer re-checks the package.
 * Signers whose commitment adds nothing to the structure are left out.
 *
 * @throws {InvalidInputError} when the envelopes disagree (request, key, session, structure),
 *   name a party twice, or do not form a qualified set (naming the unsatisfied gates)
 * @throws {IntegrityError} when the commitments do not commit to the request's source key
 */
export function frostRelay(options: {
  request: ColdRequest;
  decoded: DecodedRequest;
  round1: readonly Envelope<Round1Payload>[];
}): Envelope<SigningPackagePayload> {
  const decoded = tezosOnly(options.decoded);
  const first = options.round1[0]?.payload;
  if (first === undefined) throw new InvalidInputError("round1", "no round-1 envelopes given");
  const structure = parseAccessStructure(first.structure);
  if (structureHash(structure) !== first.structureHash)
    throw new IntegrityError("round1", "structure hash mismatch");
  const digest = commitmentsDigest(first.commitments);
  const seen = new Map<string, Round1Payload>();
  for (const { payload: r } of options.round1) {
    const who = `round1 of ${r.party}`;
    if (r.requestDigest !== decoded.digest)
      throw new InvalidInputError(who, `is for request ${r.requestDigest}`);
    if (r.address !== decoded.summary.source) throw new InvalidInputError(who, `is for key ${r.address}`);
    if (r.sessionId !== first.sessionId) throw new InvalidInputError(who, `is for session ${r.sessionId}`);
    if (r.structureHash !== first.structureHash || commitmentsDigest(r.commitments) !== digest) {
      throw new InvalidInputError(who, "carries a different key package from the others");
    }
    if (r.commitment.party !== r.party) throw new InvalidInputError(who, "commitment names another party");
    if (seen.has(r.party)) throw new InvalidInputError(who, "appears twice");
    seen.set(r.party, r);
  }
  const pk = groupPublicKey(publicPackage(first.structure, first.commitments));
  if (tezosAddress(pk) !== decoded.summary.source) {
    throw new IntegrityError(
      "round1",
      `commitments are for ${tezosAddress(pk)}, not ${decoded.summary.source}`,
    );
  }
  const present = [...seen.keys()];
  if (!isQualified(structure, present)) {
    throw new InvalidInputError("round1", `not a qualified set: ${explainUnqualified(structure, present)}`);
  }
  const ids = partyIdentifiers(structure);
  const signers = contributingParties(structure, present)
    .map((party) => seen.get(party) as Round1Payload)
    .sort((a, b) => (ids.get(a.party) as number) - (ids.get(b.party) as number))
    .map((r) => ({
      party: r.party,
      commitment: r.commitment,
      nonceId: r.nonceId,
      counter: r.counter,
      logSeq: r.logSeq,
    }));
  return createEnvelope<SigningPackagePayload>("signing-package", {
    version: 1,
    request: options.request,
    address: decoded.summary.source,
    sessionId: first.sessionId,
    structure: toJson(structure),
    structureHash: first.structureHash,
    commitments: first.commitments,
    signers,
  });
}

async function openPackage(env: Envelope<SigningPackagePayload>): Promise<{
  decoded: DecodedTezosRequest;
  structure: AccessStructure;
  pkg: FrostPublicPackage;
  list: FrostCommitment[];
  message: Uint8Array;
  digest: string;
}> {
  const p = env.payload;
  const decoded = tezosOnly((await parseRequest(p.request)).decoded);
  if (p.address !== decoded.summary.source)
    throw new IntegrityError("signing package", "key differs from the request source");
  const structure = parseAccessStructure(p.structure);
  if (structureHash(structure) !== p.structureHash)
    throw new IntegrityError("signing package", "structure hash mismatch");
  const pkg = { structure, commitments: p.commitments };
  if (tezosAddress(groupPublicKey(pkg)) !== decoded.summary.source) {
    throw new IntegrityError("signing package", `commitments are not those of ${decoded.summary.source}`);
  }
  return {
    decoded,
    structure,
    pkg,
    list: p.signers.map((s) => s.commitment),
    message: frostMessage(decoded),
    digest: packageDigest(p, decoded.digest),
  };
}

/**
 * FROST round 2 for one signer: re-derives the request from the package's bytes, checks the
 * package is for this signer's own key (same commitments as its share file) and carries its
 * round-1 commitment unchanged, shows the trusted display and asks for confirmation, records the
 * digest in the burn registry (write-ahead), then consumes the nonce from the durable store
 * and computes the signature share.
 *
 * @throws {RefusedError} NONCE_REUSED, NONCE_STORE_ROLLBACK, COMMITMENT_MISMATCH, KEY_BURNED,
 *   DIGEST_MISMATCH, NOT_CONFIRMED
 * @throws {IntegrityError} when the package does not match the signer's key
 */
export async function frostRound2(options: {
  packageEnvelope: Envelope<SigningPackagePayload>;
  shareFile: LoadedShareFile;
  unlock: () => PartyKeys;
  nonceStore: string;
  registryFile: string;
  confirm: ConfirmOptions;
  /** The request as this signer received it at round 1; the package must carry the same one. */
  expectedRequest?: DecodedRequest;
  /** Called after confirmation, before the key is unlocked (the CLI asks the passphrase here). */
  beforeUnlock?: () => Promise<void>;
}): Promise<{ envelope: Envelope<Round2Payload>; display: string[] }> {
  const opened = await openPackage(options.packageEnvelope);
  const { decoded } = opened;
  if (options.expectedRequest !== undefined && options.expectedRequest.digest !== decoded.digest) {
    throw new RefusedError(
      "REQUEST_MISMATCH",
      `the package carries request ${decoded.digest}, not the ${options.expectedRequest.digest} committed to`,
    );
  }
  const p = options.packageEnvelope.payload;
  const mine = options.shareFile.envelope.payload;
  const key = keyByAddress(options.shareFile, decoded.summary.source);
  if (
    commitmentsDigest(key.commitments) !== commitmentsDigest(p.commitments) ||
    mine.structureHash !== p.structureHash
  ) {
    throw new IntegrityError("signing package", "its key package differs from the one in my share file");
  }
  const own = p.signers.find((s) => s.party === mine.party);
  if (own === undefined)
    throw new RefusedError("NOT_A_SIGNER", `${mine.party} is not a signer of this package`);
  const committed = readCommitmentRecord(options.nonceStore, mine.party, key.address, own.nonceId);
  if (committed.requestDigest !== decoded.digest) {
    throw new RefusedError(
      "MESSAGE_MISMATCH",
      `${mine.party} committed to request ${committed.requestDigest}, the package carries ${decoded.digest}`,
    );
  }
  if (committed.sessionId !== p.sessionId) {
    throw new RefusedError("SESSION_MISMATCH", `${mine.party} committed in session ${committed.sessionId}`);
  }
  const registry = BurnRegistry.open(options.registryFile);
  registry.assertMaySign(decoded.summary.source, decoded);
  const display = renderRequest(decoded);
  const confirmation = await confirm(decoded, options.confirm);
  await options.beforeUnlock?.();
  const keys = options.unlock();
  try {
    const share = openShare(options.shareFile, key, keys);
    const signing = await prepareTezosSigning(p.request, hexToBytes(key.publicKey), {
      registry,
      confirmation,
    });
    if (bytesToHex(signing.message) !== bytesToHex(opened.message))
      throw new IntegrityError("request", "message differs");
    const store = NonceStore.open(
      storeDir(options.nonceStore, mine.party, key.address),
      opened.pkg,
      mine.party,
    );
    const stored = store.sign(share, own.nonceId, opened.list, opened.message, p.sessionId, {
      seenLogSeq: own.logSeq,
      seenCounter: own.counter,
    });
    const envelope = createEnvelope<Round2Payload>("round2", {
      version: 1,
      party: mine.party,
      address: key.address,
      requestDigest: decoded.digest,
      sessionId: p.sessionId,
      packageDigest: opened.digest,
      share: stored.share,
      nonceId: stored.nonceId,
      logSeq: stored.logSeq,
      logHead: stored.logHead,
    });
    return { envelope, display };
  } finally {
    keys.wipe();
  }
}

/**
 * Aggregation (any machine, no secrets): checks every round-2 envelope names this package,
 * verifies each signature share (naming a bad one), aggregates, verifies the final Ed25519
 * signature under the group key with the strict rule, and attaches it to the operation.
 *
 * @throws {IntegrityError} for a share of another package, a bad share or a final signature that
 *   does not verify
 */
export async function frostAggregate(options: {
  packageEnvelope: Envelope<SigningPackagePayload>;
  round2: readonly Envelope<Round2Payload>[];
}): Promise<Envelope<SignedTezosPayload>> {
  const opened = await openPackage(options.packageEnvelope);
  const shares: FrostSignatureShare[] = [];
  for (const { payload: r } of options.round2) {
    if (r.packageDigest !== opened.digest) {
      throw new IntegrityError(`round2 of ${r.party}`, "was made for a different signing package");
    }
    if (r.share.party !== r.party)
      throw new IntegrityError(`round2 of ${r.party}`, "share names another party");
    verifySignatureShare(opened.pkg, opened.list, opened.message, r.share);
    shares.push(r.share);
  }
  const signature = aggregate(opened.pkg, opened.list, opened.message, shares);
  const publicKey = groupPublicKey(opened.pkg);
  if (!verify(signature, opened.message, publicKey)) {
    throw new IntegrityError("signature", "aggregated signature does not verify under the group key");
  }
  const signed = attachSignature(opened.decoded.forged, signature, publicKey);
  return createEnvelope<SignedTezosPayload>("signed-transaction", {
    chain: "tezos",
    chainId: opened.decoded.chain.chainId,
    source: opened.decoded.summary.source,
    publicKey: encodePublicKey(publicKey),
    digest: opened.decoded.digest,
    signedBytes: signed.signedBytes,
    signature: signed.signature,
    hash: signed.hash,
    signers: opened.list.map((c) => c.party),
  });
}
