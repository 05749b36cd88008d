/**
 * Policy versions and their quorum: the standalone verifier the hot signer imports.
 *
 * Dependencies are deliberately few (`@noble/curves`, `@noble/hashes`, zod through the schema)
 * so the signer can check, by itself, that the policy an intent was evaluated under was
 * activated by the quorum of the version before it, back to a genesis quorum it pins.
 *
 * Signed message (bytes, concatenated):
 *   "coldpath-policy-v1" (18 bytes of ASCII, the domain separator)
 *   || policyHash        (32 bytes, SHA-256 of the canonical JSON of the new version)
 *   || version           (8 bytes, unsigned big-endian)
 *   || previousPolicyHash (32 bytes; 32 zero bytes for the genesis version)
 * signed with Ed25519 (RFC 8032; verification is strict, not ZIP-215).
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { policyHash, policyHashBytes } from "./canonical.js";
import { PolicyActivationError, PolicyValidationError } from "./errors.js";
import type { PolicyIssue } from "./errors.js";
import type { PolicyDocument } from "./schema.js";
import { validatePolicy } from "./validate.js";
import type { WebAuthnSettings } from "./schema.js";
import { verifyApprovalEvidence } from "./webauthn-verify.js";
import type { ApprovalEvidence } from "./webauthn-verify.js";
import { sha256 } from "@noble/hashes/sha2.js";

/** Domain separator of policy activation signatures. */
export const POLICY_SIGNATURE_DOMAIN = "coldpath-policy-v1";

/** One approver's Ed25519 signature over a policy version (offline tooling). */
export interface Ed25519PolicySignature {
  /** The approver's Ed25519 public key, 64 lowercase hex characters. */
  readonly publicKey: string;
  /** Ed25519 signature, 128 hex characters. */
  readonly signature: string;
}

/**
 * One approver's passkey approval of a policy version: WebAuthn evidence whose subject is
 * `{ kind: "policy", digest: policyActivationDigest(policy) }`.
 */
export interface WebAuthnPolicySignature {
  readonly evidence: ApprovalEvidence;
}

/** An activation signature: Ed25519 or a WebAuthn (passkey) approval. */
export type PolicySignature = Ed25519PolicySignature | WebAuthnPolicySignature;

/** A genesis approver: Ed25519 keys and/or passkeys. */
export interface GenesisApprover {
  readonly id: string;
  readonly publicKeys?: readonly string[];
  readonly passkeys?: readonly { readonly credentialId: string; readonly publicKey: string }[];
}

/** The trust anchor for version 1: pinned by whoever runs the verifier (e.g. signer config). */
export interface GenesisQuorum {
  readonly approvers: readonly GenesisApprover[];
  readonly threshold: number;
  /** Needed only when genesis approvers activate version 1 with passkeys. */
  readonly webauthn?: WebAuthnSettings;
}

/**
 * How WebAuthn activation evidence is checked. Expiry is checked only when `now` is given: the
 * API checks it when it records a signature; re-verifying history later cannot (see decision 1022).
 */
export interface ActivationOptions {
  readonly now?: number;
}

/** Who may activate a version: the previous active policy's quorum, or the genesis quorum. */
export type ActivationAuthority = { readonly previous: PolicyDocument } | { readonly genesis: GenesisQuorum };

/** Outcome of checking one version's signatures. */
export interface ActivationReport {
  readonly activated: boolean;
  readonly policyHash: string;
  readonly version: number;
  readonly threshold: number;
  /** Distinct approver ids whose valid signature counted, sorted. */
  readonly approvedBy: readonly string[];
  /** Signatures that did not count, with why (by position in the input). */
  readonly ignored: readonly { readonly index: number; readonly reason: string }[];
  /** Why the version is not activated (empty when `activated`). */
  readonly problems: readonly string[];
}

/**
 * The exact bytes an approver signs to activate `policy`.
 *
 * @throws {PolicyValidationError} if `policy` is not a valid policy document.
 */
export function policyActivationMessage(policy: unknown): Uint8Array {
  const doc = validatePolicy(policy);
  const version = new Uint8Array(8);
  new DataView(version.buffer).setBigUint64(0, BigInt(doc.version));
  const previous = doc.previousPolicyHash === null ? new Uint8Array(32) : hexToBytes(doc.previousPolicyHash);
  return concatBytes(utf8ToBytes(POLICY_SIGNATURE_DOMAIN), policyHashBytes(doc), version, previous);
}

/**
 * Signs a policy version with one approver's Ed25519 secret key (tests, tooling, the console).
 *
 * @throws {PolicyValidationError} if `policy` is invalid.
 */
export function signPolicyActivation(policy: unknown, secretKey: Uint8Array): Ed25519PolicySignature {
  const message = policyActivationMessage(policy);
  return {
    publicKey: bytesToHex(ed25519.getPublicKey(secretKey)),
    signature: bytesToHex(ed25519.sign(message, secretKey)),
  };
}

/**
 * The subject digest a passkey approval of `policy` signs: SHA-256 of `policyActivationMessage`.
 *
 * @throws {PolicyValidationError} if `policy` is invalid.
 */
export function policyActivationDigest(policy: unknown): string {
  return bytesToHex(sha256(policyActivationMessage(policy)));
}

interface Electorate {
  readonly ownerOfKey: ReadonlyMap<string, string>;
  /** credentialId -> { owner, P-256 public key }. */
  readonly passkeys: ReadonlyMap<string, { readonly owner: string; readonly publicKey: string }>;
  readonly webauthn: WebAuthnSettings | undefined;
  readonly threshold: number;
}

function electorate(authority: ActivationAuthority): Electorate {
  const ownerOfKey = new Map<string, string>();
  if ("previous" in authority) {
    const prev = authority.previous;
    const group = prev.approverGroups[prev.quorum.group];
    const passkeys = new Map<string, { owner: string; publicKey: string }>();
    for (const approver of group?.approvers ?? []) {
      for (const key of approver.publicKeys ?? []) ownerOfKey.set(key, approver.id);
      for (const p of approver.passkeys ?? []) {
        passkeys.set(p.credentialId, { owner: approver.id, publicKey: p.publicKey });
      }
    }
    return { ownerOfKey, passkeys, webauthn: prev.webauthn, threshold: prev.quorum.threshold };
  }
  const issues: PolicyIssue[] = [];
  const { approvers, threshold } = authority.genesis;
  const passkeys = new Map<string, { owner: string; publicKey: string }>();
  approvers.forEach((approver, i) => {
    (approver.passkeys ?? []).forEach((p, k) => {
      const owner = passkeys.get(p.credentialId)?.owner;
      if (!/^04[0-9a-f]{128}$/.test(p.publicKey) || (owner !== undefined && owner !== approver.id)) {
        issues.push({
          path: `genesis.approvers[${i}].passkeys[${k}]`,
          message: "expected a P-256 key (04 + 128 hex) under a credentialId no one else uses",
        });
      }
      passkeys.set(p.credentialId, { owner: approver.id, publicKey: p.publicKey });
    });
    (approver.publicKeys ?? []).forEach((key, k) => {
      if (!/^[0-9a-f]{64}$/.test(key)) {
        issues.push({
          path: `genesis.approvers[${i}].publicKeys[${k}]`,
          message: "expected 64 lowercase hex characters",
        });
      }
      const owner = ownerOfKey.get(key);
      if (owner !== undefined && owner !== approver.id) {
        issues.push({
          path: `genesis.approvers[${i}].publicKeys[${k}]`,
          message: `key already belongs to ${owner}`,
        });
      }
      ownerOfKey.set(key, approver.id);
    });
  });
  const ids = new Set(approvers.map((a) => a.id)).size;
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > ids) {
    issues.push({ path: "genesis.threshold", message: `must be 1..${ids}, got ${threshold}` });
  }
  if (issues.length > 0) throw new PolicyValidationError(issues);
  return { ownerOfKey, passkeys, webauthn: authority.genesis.webauthn, threshold };
}

/** Checks one passkey activation; returns the approver id or why it does not count. */
function passkeyVote(
  evidence: ApprovalEvidence,
  digest: string,
  voters: Electorate,
  options: ActivationOptions,
): { readonly owner: string } | { readonly reason: string } {
  if (evidence?.subject?.kind !== "policy" || evidence.subject.digest !== digest) {
    return { reason: "passkey approval is for another subject" };
  }
  const entry = voters.passkeys.get(evidence.credentialId);
  if (entry === undefined || entry.owner !== evidence.approverId) {
    return { reason: `passkey ${String(evidence.credentialId)} is not in the activating quorum group` };
  }
  if (voters.webauthn === undefined) {
    return { reason: "the activating policy names no webauthn rpId/origins" };
  }
  const result = verifyApprovalEvidence(evidence, {
    publicKeyHex: entry.publicKey,
    rpId: voters.webauthn.rpId,
    origins: voters.webauthn.origins,
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  return result.ok
    ? { owner: entry.owner }
    : { reason: `${result.reason}: ${result.message} (${entry.owner})` };
}

/**
 * Checks a genesis quorum (key formats, one owner per key, threshold within the approvers) and
 * returns it, so a verifier refuses a bad pin at start instead of at the first activation.
 *
 * @throws {PolicyValidationError} naming the bad `genesis.*` field.
 */
export function validateGenesis(genesis: GenesisQuorum): GenesisQuorum {
  if (genesis === null || typeof genesis !== "object" || !Array.isArray(genesis.approvers)) {
    throw new PolicyValidationError([
      { path: "genesis.approvers", message: "expected an array of approvers" },
    ]);
  }
  electorate({ genesis });
  return genesis;
}

/**
 * Checks that `policy` is activated: linked to the authority (version = previous + 1,
 * `previousPolicyHash` = hash of the previous version; or version 1 with `null` for genesis) and
 * signed by at least `threshold` distinct approvers of the authority's quorum group.
 *
 * One approver is one vote, however many of their keys signed. Signatures by keys the authority
 * does not list (strangers, approvers removed earlier, members of other groups) and invalid
 * signatures are ignored and reported, never counted. The new version's own approvers have no
 * say in its activation: rotation is a change approved by the old quorum.
 *
 * @throws {PolicyValidationError} if `policy`, the previous policy or the genesis quorum is invalid.
 * @example
 * const report = verifyPolicyActivation(v2, signatures, { previous: v1 });
 * if (!report.activated) console.log(report.problems);
 */
export function verifyPolicyActivation(
  policy: unknown,
  signatures: readonly PolicySignature[],
  authority: ActivationAuthority,
  options: ActivationOptions = {},
): ActivationReport {
  const doc = validatePolicy(policy);
  const hash = policyHash(doc);
  const problems: string[] = [];
  // The electorate is read from the validated previous version, never from the raw input.
  const checked: ActivationAuthority =
    "previous" in authority ? { previous: validatePolicy(authority.previous) } : authority;
  if ("previous" in checked) {
    const previous = checked.previous;
    const previousHash = policyHash(previous);
    if (doc.version !== previous.version + 1) {
      problems.push(`version ${doc.version} does not follow ${previous.version}`);
    }
    if (doc.previousPolicyHash !== previousHash) {
      problems.push(`previousPolicyHash ${String(doc.previousPolicyHash)} is not ${previousHash}`);
    }
  } else if (doc.version !== 1 || doc.previousPolicyHash !== null) {
    problems.push("only version 1 with previousPolicyHash null can be activated by the genesis quorum");
  }
  const voters = electorate(checked);
  const { ownerOfKey, threshold } = voters;
  const message = policyActivationMessage(doc);
  const digest = bytesToHex(sha256(message));
  const counted = new Set<string>();
  const nonces = new Set<string>();
  const ignored: { index: number; reason: string }[] = [];
  signatures.forEach((sig, index) => {
    if (sig !== null && typeof sig === "object" && "evidence" in sig) {
      const vote = passkeyVote(sig.evidence, digest, voters, options);
      if ("reason" in vote) ignored.push({ index, reason: vote.reason });
      else if (nonces.has(sig.evidence.nonce)) ignored.push({ index, reason: "nonce already used" });
      else if (counted.has(vote.owner))
        ignored.push({ index, reason: `approver ${vote.owner} already counted` });
      else {
        nonces.add(sig.evidence.nonce);
        counted.add(vote.owner);
      }
      return;
    }
    const publicKey: unknown = (sig as Partial<Ed25519PolicySignature> | null)?.publicKey;
    const signature: unknown = (sig as Partial<Ed25519PolicySignature> | null)?.signature;
    if (typeof publicKey !== "string" || !/^[0-9a-f]{64}$/.test(publicKey)) {
      ignored.push({ index, reason: "publicKey is not 64 lowercase hex characters" });
      return;
    }
    if (typeof signature !== "string" || !/^[0-9a-fA-F]{128}$/.test(signature)) {
      ignored.push({ index, reason: "signature is not 128 hex characters" });
      return;
    }
    const owner = ownerOfKey.get(publicKey);
    if (owner === undefined) {
      ignored.push({ index, reason: `key ${publicKey} is not in the activating quorum group` });
      return;
    }
    let valid = false;
    try {
      valid = ed25519.verify(hexToBytes(signature), message, hexToBytes(publicKey), { zip215: false });
    } catch {
      valid = false;
    }
    if (!valid) {
      ignored.push({ index, reason: `invalid signature by ${owner}` });
      return;
    }
    if (counted.has(owner)) {
      ignored.push({ index, reason: `approver ${owner} already counted` });
      return;
    }
    counted.add(owner);
  });
  if (counted.size < threshold) {
    problems.push(`${counted.size} of ${threshold} required approvers signed`);
  }
  return {
    activated: problems.length === 0,
    policyHash: hash,
    version: doc.version,
    threshold,
    approvedBy: [...counted].sort(),
    ignored,
    problems,
  };
}

/**
 * Like `verifyPolicyActivation`, but throws unless the version is activated.
 *
 * @throws {PolicyActivationError} listing the problems.
 * @throws {PolicyValidationError} if a document or the genesis quorum is invalid.
 */
export function assertPolicyActivation(
  policy: unknown,
  signatures: readonly PolicySignature[],
  authority: ActivationAuthority,
  options: ActivationOptions = {},
): ActivationReport {
  const report = verifyPolicyActivation(policy, signatures, authority, options);
  if (!report.activated) throw new PolicyActivationError(report.problems, report.policyHash);
  return report;
}

/** One version of a policy history with the signatures that activated it. */
export interface SignedPolicyVersion {
  readonly policy: unknown;
  readonly signatures: readonly PolicySignature[];
}

/**
 * Verifies a whole policy history from genesis, each version activated by the quorum of the one
 * before, and returns the last (active) version with its hash. This is what the signer runs on
 * the history the service hands it; a database edit cannot produce a history that passes.
 *
 * @throws {PolicyActivationError} at the first version that is not activated (its problems
 *   are prefixed with `versions[i]`).
 * @throws {PolicyValidationError} if a document or the genesis quorum is invalid.
 */
export function verifyPolicyChain(
  versions: readonly SignedPolicyVersion[],
  genesis: GenesisQuorum,
  options: ActivationOptions = {},
): { readonly policy: PolicyDocument; readonly policyHash: string } {
  if (versions.length === 0) throw new PolicyActivationError(["versions: empty history"], "none");
  let authority: ActivationAuthority = { genesis };
  let active: { policy: PolicyDocument; policyHash: string } | undefined;
  versions.forEach((entry, i) => {
    const report = verifyPolicyActivation(entry.policy, entry.signatures, authority, options);
    if (!report.activated) {
      throw new PolicyActivationError(
        report.problems.map((p) => `versions[${i}]: ${p}`),
        report.policyHash,
      );
    }
    const policy = validatePolicy(entry.policy);
    active = { policy, policyHash: report.policyHash };
    authority = { previous: policy };
  });
  return active as { policy: PolicyDocument; policyHash: string };
}
