/**
 * The challenge an approver's passkey signs (docs: .tmp/APPROVALS-CONTRACT.md, README §6).
 *
 * challengeBytes = SHA-256( utf8("coldpath-approval-v1") || 0x00 || kind (1 byte: 0x01 operation,
 *                           0x02 policy) || subjectDigest (32 bytes) || expiresAt (u64 big-endian,
 *                           unix seconds) || nonce (16 bytes) || utf8(approverId) )
 *
 * The WebAuthn challenge is base64url (no padding) of those 32 bytes, so the browser's assertion
 * binds the exact subject, the approver, an expiry and a single-use nonce.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { base64urlnopad } from "@scure/base";
import { ApprovalInputError } from "./errors.js";

/** Domain separator of approval challenges. */
export const APPROVAL_CHALLENGE_DOMAIN = "coldpath-approval-v1";

/** What an approval is about: an operation (its payload digest) or a policy version. */
export type ApprovalKind = "operation" | "policy";

const KIND_BYTE: Readonly<Record<ApprovalKind, number>> = { operation: 0x01, policy: 0x02 };

/** The subject of an approval: its kind and a 32-byte digest in lowercase hex. */
export interface ApprovalSubject {
  readonly kind: ApprovalKind;
  /** 64 lowercase hex characters. */
  readonly digest: string;
}

/** Everything the challenge commits to. */
export interface ApprovalChallengeInput {
  readonly subject: ApprovalSubject;
  /** Unix seconds after which the approval is void. */
  readonly expiresAt: number;
  /** 16 random bytes as 32 lowercase hex characters; single use. */
  readonly nonce: string;
  readonly approverId: string;
}

const HEX32 = /^[0-9a-f]{64}$/;
const HEX16 = /^[0-9a-f]{32}$/;
const APPROVER_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Checks the challenge inputs, naming the first bad field.
 *
 * @throws {ApprovalInputError} `APPROVAL_INPUT_INVALID` with the field path.
 */
export function checkChallengeInput(input: ApprovalChallengeInput): void {
  const subject: unknown = input?.subject;
  const kind: unknown = (subject as { kind?: unknown } | undefined)?.kind;
  const digest: unknown = (subject as { digest?: unknown } | undefined)?.digest;
  if (kind !== "operation" && kind !== "policy") {
    throw new ApprovalInputError("subject.kind", String(kind), "expected operation or policy");
  }
  if (typeof digest !== "string" || !HEX32.test(digest)) {
    throw new ApprovalInputError("subject.digest", String(digest), "expected 64 lowercase hex characters");
  }
  if (!Number.isSafeInteger(input.expiresAt) || input.expiresAt < 0) {
    throw new ApprovalInputError("expiresAt", String(input.expiresAt), "expected unix seconds");
  }
  if (typeof input.nonce !== "string" || !HEX16.test(input.nonce)) {
    throw new ApprovalInputError("nonce", String(input.nonce), "expected 32 lowercase hex characters");
  }
  if (typeof input.approverId !== "string" || !APPROVER_ID.test(input.approverId)) {
    throw new ApprovalInputError("approverId", String(input.approverId), "expected an approver id");
  }
}

/**
 * The 32 challenge bytes for one approval.
 *
 * @throws {ApprovalInputError} naming the bad field.
 * @example
 * const bytes = approvalChallengeBytes({ subject: { kind: "operation", digest }, expiresAt, nonce, approverId: "alice" });
 */
export function approvalChallengeBytes(input: ApprovalChallengeInput): Uint8Array {
  checkChallengeInput(input);
  const expires = new Uint8Array(8);
  new DataView(expires.buffer).setBigUint64(0, BigInt(input.expiresAt));
  return sha256(
    concatBytes(
      utf8ToBytes(APPROVAL_CHALLENGE_DOMAIN),
      Uint8Array.of(0x00, KIND_BYTE[input.subject.kind]),
      hexToBytes(input.subject.digest),
      expires,
      hexToBytes(input.nonce),
      utf8ToBytes(input.approverId),
    ),
  );
}

/**
 * The WebAuthn challenge string (base64url without padding) to pass to
 * `navigator.credentials.get({ publicKey: { challenge } })`.
 *
 * @throws {ApprovalInputError} naming the bad field.
 */
export function approvalChallenge(input: ApprovalChallengeInput): string {
  return base64urlnopad.encode(approvalChallengeBytes(input));
}
