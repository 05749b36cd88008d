/**
 * Counting approvals: the one rule the API, the hot signer and auditors share.
 *
 * An approval counts toward `threshold` approvers of `group` when: its approver is a member of
 * that group in the policy (not just registered somewhere), the passkey it used is listed for
 * that approver in the policy, it is not the requester's own, it is for this subject, it has not
 * expired, its WebAuthn assertion verifies, and no earlier approval of the same approver (any
 * credential) or with the same nonce was counted.
 */
import type { ApprovalSubject } from "./approval-challenge.js";
import type { PolicyDocument } from "./schema.js";
import { verifyApprovalEvidence } from "./webauthn-verify.js";
import type { ApprovalEvidence, EvidenceFailure } from "./webauthn-verify.js";

/** Why an approval did not count. */
export type ApprovalRejection =
  | EvidenceFailure
  | "WRONG_SUBJECT"
  | "NOT_IN_GROUP"
  | "UNKNOWN_CREDENTIAL"
  | "SELF_APPROVAL"
  | "DUPLICATE_APPROVER"
  | "REPLAYED_NONCE";

/** Inputs of `countApprovals`. */
export interface CountApprovalsOptions {
  /** The activated policy the requirement comes from (its approvers and passkeys). */
  readonly policy: PolicyDocument;
  readonly group: string;
  readonly threshold: number;
  /** The requester's approver id, when the requester is (or maps to) an approver. */
  readonly requesterId?: string | null;
  readonly subject: ApprovalSubject;
  /** Unix seconds; omit only when re-verifying history whose expiry was checked on record. */
  readonly now?: number;
  readonly rpId: string;
  readonly origins: readonly string[];
}

/** Result of `countApprovals`. */
export interface ApprovalCount {
  readonly count: number;
  readonly threshold: number;
  readonly reached: boolean;
  /** Approver ids that counted, sorted. */
  readonly approvedBy: readonly string[];
  /** Approvals that did not count, by input position. */
  readonly rejected: readonly {
    readonly index: number;
    readonly approverId: string;
    readonly reason: ApprovalRejection;
    readonly message: string;
  }[];
}

/**
 * Counts the approvals that satisfy a requirement of `threshold` distinct approvers of `group`.
 *
 * @example
 * const r = countApprovals(evidences, { policy, group: "ops-approvers", threshold: 2, requesterId: "alice", subject, now, rpId, origins });
 * if (r.reached) await enforcement.onApprovalRecorded(operationId);
 */
export function countApprovals(
  evidences: readonly ApprovalEvidence[],
  options: CountApprovalsOptions,
): ApprovalCount {
  const members = new Map<string, Map<string, string>>();
  for (const approver of options.policy.approverGroups[options.group]?.approvers ?? []) {
    members.set(approver.id, new Map((approver.passkeys ?? []).map((p) => [p.credentialId, p.publicKey])));
  }
  const counted = new Set<string>();
  const nonces = new Set<string>();
  const rejected: {
    index: number;
    approverId: string;
    reason: ApprovalRejection;
    message: string;
  }[] = [];
  evidences.forEach((evidence, index) => {
    const approverId = String(evidence?.approverId);
    const reject = (reason: ApprovalRejection, message: string): void => {
      rejected.push({ index, approverId, reason, message });
    };
    if (
      evidence?.subject?.kind !== options.subject.kind ||
      evidence.subject.digest !== options.subject.digest
    ) {
      return reject("WRONG_SUBJECT", `approval by ${approverId} is for another ${options.subject.kind}`);
    }
    const credentials = members.get(approverId);
    if (credentials === undefined) {
      return reject("NOT_IN_GROUP", `${approverId} is not an approver of ${options.group} in this policy`);
    }
    const publicKeyHex = credentials.get(evidence.credentialId);
    if (publicKeyHex === undefined) {
      return reject(
        "UNKNOWN_CREDENTIAL",
        `passkey ${evidence.credentialId} of ${approverId} is not in this policy`,
      );
    }
    if (
      options.requesterId !== undefined &&
      options.requesterId !== null &&
      approverId === options.requesterId
    ) {
      return reject("SELF_APPROVAL", `${approverId} requested this and cannot approve it`);
    }
    const result = verifyApprovalEvidence(evidence, {
      publicKeyHex,
      rpId: options.rpId,
      origins: options.origins,
      ...(options.now !== undefined ? { now: options.now } : {}),
    });
    if (!result.ok) return reject(result.reason, result.message);
    if (nonces.has(evidence.nonce)) return reject("REPLAYED_NONCE", `nonce ${evidence.nonce} already used`);
    nonces.add(evidence.nonce);
    if (counted.has(approverId)) {
      return reject("DUPLICATE_APPROVER", `${approverId} already counted`);
    }
    counted.add(approverId);
  });
  return {
    count: counted.size,
    threshold: options.threshold,
    reached: counted.size >= options.threshold,
    approvedBy: [...counted].sort(),
    rejected,
  };
}
