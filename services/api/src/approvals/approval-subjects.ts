import type { Tx } from "../../../db/src/database.js";
import type { PolicyDocument, WebAuthnSettings } from "../../../policy/src/schema.js";
import type { ApprovalEvidence } from "../../../policy/src/webauthn-verify.js";
import type { ActivePolicy } from "./tokens.js";

export const APPROVAL_SUBJECTS = Symbol("APPROVAL_SUBJECTS");

/** An operation in `pending_approval`, as the policy enforcement recorded it. */
export interface OperationAwaitingApproval {
  readonly operationId: string;
  /** The decoded payload approvers sign (services/policy `OperationPayload`). */
  readonly payload: unknown;
  /** Every approval requirement of the decision: `count` distinct approvers of each `group`. */
  readonly requirements: readonly { readonly group: string; readonly count: number }[];
  /** Approver id of whoever requested it (no self-approval), when known. */
  readonly requesterApproverId: string | null;
  /** The active policy the operation was evaluated under. */
  readonly policyHash: string;
  readonly createdAt: Date;
}

/** One approver of the quorum that may activate a proposal, with the passkeys that count. */
export interface Elector {
  readonly id: string;
  readonly passkeys: readonly { readonly credentialId: string; readonly publicKey: string }[];
}

/** A proposed policy version that a quorum has not activated yet. */
export interface PolicyAwaitingActivation {
  readonly hash: string;
  readonly version: number;
  readonly document: PolicyDocument;
  /** The subject digest approvers sign: SHA-256 of the policy activation message. */
  readonly digest: string;
  /** Who activates it: the previous version's quorum group, or the pinned genesis quorum. */
  readonly group: string;
  readonly threshold: number;
  readonly electors: readonly Elector[];
  /** Relying party the activating authority's passkeys sign for. */
  readonly webauthn: WebAuthnSettings | undefined;
  readonly createdAt: Date;
}

/**
 * What the approvals area needs from the policy lifecycle and enforcement (engineer E2's
 * services): the subjects awaiting approval and the two transitions approvals can cause.
 */
export interface ApprovalSubjects {
  activePolicy(): Promise<ActivePolicy | null>;
  pendingOperations(): Promise<OperationAwaitingApproval[]>;
  operation(operationId: string): Promise<OperationAwaitingApproval | null>;
  pendingPolicies(): Promise<PolicyAwaitingActivation[]>;
  policy(hash: string): Promise<PolicyAwaitingActivation | null>;
  /**
   * Called after an approval is stored; enforcement re-counts every requirement with the shared
   * rule and queues the operation once all are met. Returns the operation's status afterwards.
   */
  approvalRecorded(operationId: string): Promise<{ status: string; approvedBy: readonly string[] }>;
  /** An approver of the group refused the operation: it fails with `rejected by <approver>`. */
  operationRejected(operationId: string, approverId: string, reason: string): Promise<void>;
  /**
   * Forwards a passkey approval of a proposal as an activation signature, inside the transaction
   * that records the approval (both land or neither does).
   */
  policySignature(
    tx: Tx,
    hash: string,
    evidence: ApprovalEvidence,
    actor: string,
  ): Promise<{ activated: boolean }>;
  /** Called after a policy version was activated (pushes the chain to the hot signer). */
  policyActivated(): Promise<void>;
}
