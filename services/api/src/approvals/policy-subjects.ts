import { Inject, Injectable } from "@nestjs/common";
import { and, asc, eq } from "drizzle-orm";
import type { Database, Tx } from "../../../db/src/database.js";
import { operations } from "../../../db/src/schema.js";
import { operationPolicy } from "../../../db/src/schema-policy.js";
import { policyActivationDigest } from "../../../policy/src/quorum.js";
import type { ApprovalEvidence } from "../../../policy/src/webauthn-verify.js";
import { PolicyLifecycleService, type VerifiedVersion } from "../policy/policy-lifecycle.service.js";
import { CLOCK, DATABASE, type Clock } from "../tokens.js";
import type {
  ApprovalSubjects,
  Elector,
  OperationAwaitingApproval,
  PolicyAwaitingActivation,
} from "./approval-subjects.js";
import type { ActivePolicy } from "./tokens.js";

export const OPERATION_TRANSITIONS = Symbol("OPERATION_TRANSITIONS");

/** The two operation transitions approvals cause; policy enforcement implements them. */
export interface OperationTransitions {
  /** Re-counts the stored approvals and queues the operation once the threshold is reached. */
  onApprovalRecorded(operationId: string): Promise<{ status: string; approvedBy: readonly string[] }>;
  /** Fails the operation with `rejected by <approver>`. */
  onRejected(operationId: string, approverId: string, reason: string): Promise<unknown>;
}

/** The `{ group, count }` requirements of a stored decision (`operation_policy.decision`). */
function requirementsOf(decision: unknown): { group: string; count: number }[] {
  const approvals = (decision as { approvals?: unknown } | null)?.approvals;
  if (!Array.isArray(approvals)) return [];
  return approvals.filter(
    (a): a is { group: string; count: number } =>
      typeof (a as { group?: unknown })?.group === "string" &&
      Number.isSafeInteger((a as { count?: unknown })?.count),
  );
}

/**
 * The approvals area's view of the policy lifecycle and enforcement: which operations and
 * proposals await approval, who may decide them, and the transitions approvals cause. Policy
 * state always comes from the lifecycle's verified chain, never from stored status columns.
 */
@Injectable()
export class PolicySubjects implements ApprovalSubjects {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PolicyLifecycleService) private readonly lifecycle: PolicyLifecycleService,
    @Inject(OPERATION_TRANSITIONS) private readonly enforcement: OperationTransitions,
  ) {}

  async activePolicy(): Promise<ActivePolicy | null> {
    const active = await this.lifecycle.active();
    return active && { hash: active.hash, version: active.version, document: active.document };
  }

  private async awaiting(operationId?: string): Promise<OperationAwaitingApproval[]> {
    const rows = await this.database.db
      .select({ op: operations, policy: operationPolicy })
      .from(operations)
      .innerJoin(operationPolicy, eq(operationPolicy.operationId, operations.id))
      .where(
        and(
          eq(operations.status, "pending_approval" as never),
          ...(operationId === undefined ? [] : [eq(operations.id, operationId)]),
        ),
      )
      .orderBy(asc(operations.createdAt), asc(operations.id));
    return rows
      .map((r) => ({ r, requirements: requirementsOf(r.policy.decision) }))
      .filter(({ requirements }) => requirements.length > 0)
      .map(({ r, requirements }) => ({
        operationId: r.op.id,
        payload: r.policy.payload,
        requirements,
        requesterApproverId: r.policy.requesterApproverId,
        policyHash: r.policy.policyHash,
        createdAt: r.op.createdAt,
      }));
  }

  pendingOperations(): Promise<OperationAwaitingApproval[]> {
    return this.awaiting();
  }

  async operation(operationId: string): Promise<OperationAwaitingApproval | null> {
    return (await this.awaiting(operationId))[0] ?? null;
  }

  /** Proposals that follow the active version: the only ones a quorum can activate now. */
  private async proposals(): Promise<PolicyAwaitingActivation[]> {
    const state = await this.lifecycle.state();
    const genesis = this.lifecycle.genesis;
    const active = state.active;
    const follows = (v: VerifiedVersion) =>
      active === null ? v.version === 1 : v.version === active.version + 1 && v.previousHash === active.hash;
    let electors: Elector[];
    let group: string;
    let threshold: number;
    let webauthn: PolicyAwaitingActivation["webauthn"];
    if (active !== null) {
      const quorum = active.document.quorum;
      electors = (active.document.approverGroups[quorum.group]?.approvers ?? []).map((a) => ({
        id: a.id,
        passkeys: (a.passkeys ?? []).map((p) => ({ credentialId: p.credentialId, publicKey: p.publicKey })),
      }));
      group = quorum.group;
      threshold = quorum.threshold;
      webauthn = active.document.webauthn;
    } else if (genesis !== null) {
      electors = genesis.approvers.map((a) => ({
        id: a.id,
        passkeys: (a.passkeys ?? []).map((p) => ({ credentialId: p.credentialId, publicKey: p.publicKey })),
      }));
      group = "genesis quorum";
      threshold = genesis.threshold;
      webauthn = genesis.webauthn;
    } else {
      return [];
    }
    return state.all
      .filter((v) => v.status === "proposed" && v.integrityProblem === null && follows(v))
      .map((v) => ({
        hash: v.hash,
        version: v.version,
        document: v.document,
        digest: policyActivationDigest(v.document),
        group,
        threshold,
        electors,
        webauthn,
        createdAt: v.createdAt,
      }));
  }

  pendingPolicies(): Promise<PolicyAwaitingActivation[]> {
    return this.proposals();
  }

  async policy(hash: string): Promise<PolicyAwaitingActivation | null> {
    return (await this.proposals()).find((p) => p.hash === hash) ?? null;
  }

  approvalRecorded(operationId: string): Promise<{ status: string; approvedBy: readonly string[] }> {
    return this.enforcement.onApprovalRecorded(operationId);
  }

  async operationRejected(operationId: string, approverId: string, reason: string): Promise<void> {
    await this.enforcement.onRejected(operationId, approverId, reason);
  }

  async policySignature(
    tx: Tx,
    hash: string,
    evidence: ApprovalEvidence,
    actor: string,
  ): Promise<{ activated: boolean }> {
    const result = await this.lifecycle.addSignature(tx, actor, hash, { evidence }, this.clock());
    return { activated: result.activated };
  }

  async policyActivated(): Promise<void> {
    await this.lifecycle.pushChain();
  }
}
