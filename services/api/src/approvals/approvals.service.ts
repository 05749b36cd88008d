import { randomBytes, randomUUID } from "node:crypto";
import { Inject, Injectable } from "@nestjs/common";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { Database } from "../../../db/src/database.js";
import type { ApprovalSubjectKind } from "../../../db/src/schema-approvals.js";
import { approvalChallenge } from "../../../policy/src/approval-challenge.js";
import { describeOperation, operationPayloadDigest } from "../../../policy/src/operation-payload.js";
import type { WebAuthnSettings } from "../../../policy/src/schema.js";
import { verifyApprovalEvidence, type ApprovalEvidence } from "../../../policy/src/webauthn-verify.js";
import { NotFoundError } from "../../../shared/src/errors.js";
import { AuditService } from "../audit/audit.service.js";
import { CLOCK, DATABASE, type Clock } from "../tokens.js";
import {
  APPROVAL_SUBJECTS,
  type ApprovalSubjects,
  type Elector,
  type OperationAwaitingApproval,
  type PolicyAwaitingActivation,
} from "./approval-subjects.js";
import type { ApprovalRow, ApprovalsRepository, ChallengeRow, SessionRow } from "./approvals.repository.js";
import { ApprovalsError } from "./errors.js";
import { PasskeysService } from "./passkeys.service.js";
import { APPROVALS_REPOSITORY } from "./tokens.js";

/** How long an approver has to answer an approval challenge. */
export const APPROVAL_TTL_SECONDS = 300;

/** A subject awaiting approval, as the console shows it (the trusted display). */
export interface PendingApprovalView {
  readonly kind: ApprovalSubjectKind;
  readonly id: string;
  /** The exact digest the passkey will sign over (with kind, expiry, nonce and approver). */
  readonly digest: string;
  readonly title: string;
  readonly summary: readonly string[];
  /** Group(s) whose members may decide. */
  readonly group: string;
  /** What must be reached, e.g. `2 of ops-approvers`. */
  readonly required: string;
  /** Total approvals needed (sum over the required groups). */
  readonly threshold: number;
  readonly approvedBy: readonly string[];
  readonly rejectedBy: readonly string[];
  /** Whether the signed-in approver may decide (member of the group, not the requester, not yet voted). */
  readonly canDecide: boolean;
  readonly reasonCannotDecide: string | null;
  readonly createdAt: string;
  readonly payload?: unknown;
}

/** The challenge the console passes to `navigator.credentials.get`. */
export interface ApprovalChallengeView {
  readonly challengeId: string;
  readonly kind: ApprovalSubjectKind;
  readonly subjectId: string;
  readonly digest: string;
  readonly expiresAt: number;
  readonly nonce: string;
  readonly approverId: string;
  /** Base64url challenge bytes per the approvals contract. */
  readonly challenge: string;
  readonly rpId: string;
  readonly allowCredentials: readonly { readonly id: string; readonly type: "public-key" }[];
  readonly userVerification: "required";
  readonly timeout: number;
}

/** The common shape of both kinds of subject, for the eligibility and recording logic. */
interface Subject {
  readonly kind: ApprovalSubjectKind;
  readonly id: string;
  readonly digest: string;
  readonly group: string;
  readonly required: string;
  readonly threshold: number;
  readonly electors: readonly Elector[];
  readonly requesterApproverId: string | null;
  readonly webauthn: WebAuthnSettings | undefined;
  readonly title: string;
  readonly summary: readonly string[];
  readonly createdAt: Date;
  readonly payload?: unknown;
}

/** Why someone may not decide: not eligible at all (403) or already decided (409). */
interface Ineligibility {
  readonly code: "not_eligible" | "already_decided";
  readonly message: string;
}

const unixSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/**
 * Lists what awaits approval and records approvals and rejections. An approval is a passkey
 * assertion over the contract's challenge (subject digest, expiry, single-use nonce, approver);
 * it is checked twice, by the WebAuthn library against the registered credential (including
 * its signature counter) and by the policy engine's verifier against the key the active policy
 * lists, then stored as evidence the signer and auditors re-verify on their own.
 */
@Injectable()
export class ApprovalsService {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APPROVALS_REPOSITORY) private readonly repo: ApprovalsRepository,
    @Inject(APPROVAL_SUBJECTS) private readonly subjects: ApprovalSubjects,
    @Inject(PasskeysService) private readonly passkeys: PasskeysService,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  private async operationSubject(op: OperationAwaitingApproval): Promise<Subject> {
    const active = await this.subjects.activePolicy();
    // Membership comes from the policy in force now, so a rotated-out approver no longer counts.
    const policy = active?.document ?? null;
    // Members of any required group may approve; enforcement counts each group separately.
    const electors = new Map<string, Elector>();
    for (const req of op.requirements) {
      for (const a of policy?.approverGroups[req.group]?.approvers ?? []) {
        electors.set(a.id, {
          id: a.id,
          passkeys: (a.passkeys ?? []).map((p) => ({ credentialId: p.credentialId, publicKey: p.publicKey })),
        });
      }
    }
    const summary = describeOperation(op.payload);
    return {
      kind: "operation",
      id: op.operationId,
      digest: operationPayloadDigest(op.payload),
      group: op.requirements.map((r) => r.group).join(" and "),
      required: op.requirements.map((r) => `${r.count} of ${r.group}`).join(" and "),
      threshold: op.requirements.reduce((sum, r) => sum + r.count, 0),
      electors: [...electors.values()],
      requesterApproverId: op.requesterApproverId,
      webauthn: policy?.webauthn,
      title: summary.find((l) => l.startsWith("Action: "))?.slice(8) ?? "operation",
      summary,
      createdAt: op.createdAt,
      payload: op.payload,
    };
  }

  private policySubject(p: PolicyAwaitingActivation): Subject {
    const groups = Object.entries(p.document.approverGroups).map(
      ([name, g]) => `Group ${name}: ${g.approvers.map((a) => a.id).join(", ")}`,
    );
    return {
      kind: "policy",
      id: p.hash,
      digest: p.digest,
      group: p.group,
      required: `${p.threshold} of ${p.group}`,
      threshold: p.threshold,
      electors: p.electors,
      requesterApproverId: null,
      webauthn: p.webauthn,
      title: `activate policy version ${p.version}`,
      summary: [
        `Policy version ${p.version}${p.document.description ? `: ${p.document.description}` : ""}`,
        `Policy hash: ${p.hash}`,
        `Replaces: ${p.document.previousPolicyHash ?? "nothing (first version)"}`,
        `Rules: ${p.document.rules.length} (${p.document.rules.map((r) => r.id).join(", ")})`,
        ...groups,
        `Next quorum: ${p.document.quorum.threshold} of ${p.document.quorum.group}`,
      ],
      createdAt: p.createdAt,
    };
  }

  /**
   * @throws {NotFoundError} when the subject is not awaiting approval (decided, unknown).
   */
  private async subject(kind: ApprovalSubjectKind, id: string): Promise<Subject> {
    if (kind === "operation") {
      const op = await this.subjects.operation(id);
      if (!op) throw new NotFoundError("operation awaiting approval", id);
      return this.operationSubject(op);
    }
    const p = await this.subjects.policy(id);
    if (!p) throw new NotFoundError("policy proposal", id);
    return this.policySubject(p);
  }

  /** Why `approverId` may not decide on `subject`, or null if they may. */
  private async ineligible(
    subject: Subject,
    approverId: string,
    decided: readonly ApprovalRow[],
  ): Promise<Ineligibility | null> {
    if (!subject.electors.some((e) => e.id === approverId)) {
      return {
        code: "not_eligible",
        message: `${approverId} is not an approver of ${subject.group} in the active policy`,
      };
    }
    if (subject.requesterApproverId === approverId) {
      return { code: "not_eligible", message: `${approverId} requested this and cannot approve it` };
    }
    if (decided.some((a) => a.approverId === approverId)) {
      return { code: "already_decided", message: `${approverId} has already decided on this` };
    }
    if (subject.webauthn === undefined) {
      return {
        code: "not_eligible",
        message: "the policy names no WebAuthn relying party for passkey approvals",
      };
    }
    return null;
  }

  /** @throws {ApprovalsError} `not_eligible` (403) or `already_decided` (409). */
  private async assertEligible(subject: Subject, approverId: string): Promise<void> {
    const decided = await this.repo.approvalsFor(this.database.db, subject.kind, subject.id);
    const why = await this.ineligible(subject, approverId, decided);
    if (why !== null)
      throw new ApprovalsError(why.code, why.code === "already_decided" ? 409 : 403, why.message);
  }

  private async view(subject: Subject, approverId: string): Promise<PendingApprovalView> {
    const decided = await this.repo.approvalsFor(this.database.db, subject.kind, subject.id);
    const why = await this.ineligible(subject, approverId, decided);
    return {
      kind: subject.kind,
      id: subject.id,
      digest: subject.digest,
      title: subject.title,
      summary: subject.summary,
      group: subject.group,
      required: subject.required,
      threshold: subject.threshold,
      approvedBy: decided.filter((a) => a.decision === "approve").map((a) => a.approverId),
      rejectedBy: decided.filter((a) => a.decision === "reject").map((a) => a.approverId),
      canDecide: why === null,
      reasonCannotDecide: why?.message ?? null,
      createdAt: subject.createdAt.toISOString(),
      ...(subject.payload !== undefined ? { payload: subject.payload } : {}),
    };
  }

  /** Everything awaiting approval (operations first, oldest first), seen by `approverId`. */
  async pending(approverId: string): Promise<PendingApprovalView[]> {
    const ops = await this.subjects.pendingOperations();
    const policies = await this.subjects.pendingPolicies();
    const subjects = [
      ...(await Promise.all(ops.map((op) => this.operationSubject(op)))),
      ...policies.map((p) => this.policySubject(p)),
    ];
    return Promise.all(subjects.map((s) => this.view(s, approverId)));
  }

  /** One subject awaiting approval. @throws {NotFoundError} */
  async detail(kind: ApprovalSubjectKind, id: string, approverId: string): Promise<PendingApprovalView> {
    return this.view(await this.subject(kind, id), approverId);
  }

  /** The approver's passkeys that the subject's electorate lists (and that are registered here). */
  private eligibleCredentials(subject: Subject, approverId: string): Map<string, string> {
    const elector = subject.electors.find((e) => e.id === approverId);
    return new Map((elector?.passkeys ?? []).map((p) => [p.credentialId, p.publicKey]));
  }

  /**
   * Issues a single-use approval challenge bound to the subject's digest, an expiry, a fresh
   * nonce and the signed-in approver.
   *
   * @throws {ApprovalsError} `not_eligible` (403) when the approver may not decide.
   */
  async challenge(
    kind: ApprovalSubjectKind,
    id: string,
    session: SessionRow,
  ): Promise<ApprovalChallengeView> {
    const subject = await this.subject(kind, id);
    await this.assertEligible(subject, session.approverId);
    const credentials = this.eligibleCredentials(subject, session.approverId);
    if (credentials.size === 0) {
      throw new ApprovalsError(
        "not_eligible",
        403,
        `no passkey of ${session.approverId} is listed in the policy`,
      );
    }
    const now = this.clock();
    const expiresAt = unixSeconds(now) + APPROVAL_TTL_SECONDS;
    const nonce = randomBytes(16).toString("hex");
    const challenge = approvalChallenge({
      subject: { kind, digest: subject.digest },
      expiresAt,
      nonce,
      approverId: session.approverId,
    });
    const row: ChallengeRow = {
      id: randomUUID(),
      purpose: "approval",
      challenge,
      approverId: session.approverId,
      enrolmentId: null,
      subjectKind: kind,
      subjectId: id,
      subjectDigest: subject.digest,
      nonce,
      createdAt: now,
      expiresAt: new Date(expiresAt * 1000),
      usedAt: null,
    };
    await this.database.db.transaction(async (tx) => {
      await this.repo.insertChallenge(tx, row);
      await this.audit.record(
        tx,
        `approver:${session.approverId}`,
        "approval.challenge_issued",
        { kind, subjectId: id, digest: subject.digest, nonce, expiresAt },
        now,
      );
    });
    return {
      challengeId: row.id,
      kind,
      subjectId: id,
      digest: subject.digest,
      expiresAt,
      nonce,
      approverId: session.approverId,
      challenge,
      rpId: subject.webauthn!.rpId,
      allowCredentials: [...credentials.keys()].map((c) => ({ id: c, type: "public-key" as const })),
      userVerification: "required",
      timeout: APPROVAL_TTL_SECONDS * 1000,
    };
  }

  /**
   * Records an approval: the assertion must answer this approver's unused, unexpired challenge
   * for this very subject and digest, with a passkey the policy lists for them.
   *
   * @throws {ApprovalsError} `challenge_*`, `not_eligible`, `credential_not_listed`,
   *   `assertion_failed`, `evidence_rejected`, `already_decided`, `subject_changed`.
   */
  async approve(
    kind: ApprovalSubjectKind,
    id: string,
    session: SessionRow,
    challengeId: string,
    response: AuthenticationResponseJSON,
  ): Promise<{ approval: ApprovalRow; thresholdReached: boolean; activated?: boolean; status?: string }> {
    const db = this.database.db;
    const now = this.clock();
    const challenge = await this.passkeys.openChallenge(db, challengeId, "approval", now);
    if (
      challenge.subjectKind !== kind ||
      challenge.subjectId !== id ||
      challenge.approverId !== session.approverId
    ) {
      throw new ApprovalsError(
        "challenge_invalid",
        400,
        "the challenge was issued for another subject or approver",
        "challengeId",
      );
    }
    const subject = await this.subject(kind, id);
    if (subject.digest !== challenge.subjectDigest) {
      throw new ApprovalsError("subject_changed", 409, "the subject changed since the challenge was issued");
    }
    await this.assertEligible(subject, session.approverId);
    const publicKeyHex = this.eligibleCredentials(subject, session.approverId).get(String(response.id));
    if (publicKeyHex === undefined) {
      throw new ApprovalsError(
        "credential_not_listed",
        403,
        "this passkey is not listed for you in the policy",
        "response.id",
      );
    }
    const evidence: ApprovalEvidence = {
      approverId: session.approverId,
      credentialId: String(response.id),
      subject: { kind, digest: subject.digest },
      expiresAt: unixSeconds(challenge.expiresAt),
      nonce: challenge.nonce!,
      authenticatorData: response.response.authenticatorData,
      clientDataJSON: response.response.clientDataJSON,
      signature: response.response.signature,
    };
    const webauthn = subject.webauthn!;
    const independent = verifyApprovalEvidence(evidence, {
      publicKeyHex,
      rpId: webauthn.rpId,
      origins: webauthn.origins,
      now: unixSeconds(now),
    });
    if (!independent.ok) {
      throw new ApprovalsError(
        "evidence_rejected",
        400,
        `${independent.reason}: ${independent.message}`,
        "response",
      );
    }
    const outcome = await db.transaction(async (tx) => {
      const passkey = await this.passkeys.verifyAssertion(tx, response, challenge.challenge, now);
      if (passkey.publicKeyHex !== publicKeyHex || passkey.approverId !== session.approverId) {
        throw new ApprovalsError(
          "credential_not_listed",
          403,
          "the registered passkey differs from the policy's",
          "response.id",
        );
      }
      if (!(await this.repo.consumeChallenge(tx, challenge.id, now))) {
        throw new ApprovalsError("challenge_used", 409, "this challenge was already answered", "challengeId");
      }
      if (await this.repo.findApprovalByNonce(tx, evidence.nonce)) {
        throw new ApprovalsError(
          "nonce_replayed",
          409,
          "this approval nonce was already used",
          "challengeId",
        );
      }
      if (await this.repo.findApproval(tx, kind, id, session.approverId)) {
        throw new ApprovalsError("already_decided", 409, `${session.approverId} has already decided on this`);
      }
      const approval: ApprovalRow = {
        id: randomUUID(),
        subjectKind: kind,
        subjectId: id,
        subjectDigest: subject.digest,
        approverId: session.approverId,
        credentialId: evidence.credentialId,
        decision: "approve",
        reason: null,
        nonce: evidence.nonce,
        evidence: evidence as never,
        createdAt: now,
      };
      if (!(await this.repo.insertApproval(tx, approval))) {
        throw new ApprovalsError("already_decided", 409, `${session.approverId} has already decided on this`);
      }
      await this.audit.record(
        tx,
        `approver:${session.approverId}`,
        "approval.recorded",
        {
          kind,
          subjectId: id,
          digest: subject.digest,
          approverId: session.approverId,
          credentialId: evidence.credentialId,
          nonce: evidence.nonce,
        },
        now,
      );
      const activated =
        kind === "policy"
          ? (await this.subjects.policySignature(tx, id, evidence, `approver:${session.approverId}`))
              .activated
          : undefined;
      return { approval, activated };
    });
    if (kind === "policy") {
      if (outcome.activated === true) await this.subjects.policyActivated();
      return {
        approval: outcome.approval,
        thresholdReached: outcome.activated === true,
        activated: outcome.activated === true,
      };
    }
    // Enforcement re-counts every requirement (all groups) with the shared countApprovals rule
    // and is idempotent, so it is told about every approval, not only the one that may complete it.
    const after = await this.subjects.approvalRecorded(id);
    return { approval: outcome.approval, thresholdReached: after.status === "queued", status: after.status };
  }

  /**
   * Records a rejection by an approver who may decide; an operation then fails.
   *
   * @throws {ApprovalsError} `not_eligible`, `already_decided`.
   */
  async reject(
    kind: ApprovalSubjectKind,
    id: string,
    session: SessionRow,
    reason: string,
  ): Promise<ApprovalRow> {
    const db = this.database.db;
    const now = this.clock();
    const subject = await this.subject(kind, id);
    await this.assertEligible(subject, session.approverId);
    const row = await db.transaction(async (tx) => {
      if (await this.repo.findApproval(tx, kind, id, session.approverId)) {
        throw new ApprovalsError("already_decided", 409, `${session.approverId} has already decided on this`);
      }
      const rejection: ApprovalRow = {
        id: randomUUID(),
        subjectKind: kind,
        subjectId: id,
        subjectDigest: subject.digest,
        approverId: session.approverId,
        credentialId: session.credentialId,
        decision: "reject",
        reason,
        nonce: null,
        evidence: null,
        createdAt: now,
      };
      if (!(await this.repo.insertApproval(tx, rejection))) {
        throw new ApprovalsError("already_decided", 409, `${session.approverId} has already decided on this`);
      }
      await this.audit.record(
        tx,
        `approver:${session.approverId}`,
        "approval.rejected",
        { kind, subjectId: id, digest: subject.digest, approverId: session.approverId, reason },
        now,
      );
      return rejection;
    });
    if (kind === "operation") await this.subjects.operationRejected(id, session.approverId, reason);
    return row;
  }

  /** Stored evidence of the approvals of a subject (for the signer request and auditors). */
  async evidence(kind: ApprovalSubjectKind, id: string): Promise<ApprovalEvidence[]> {
    return (await this.repo.approvalsFor(this.database.db, kind, id))
      .filter((a) => a.decision === "approve")
      .map((a) => a.evidence as ApprovalEvidence);
  }
}
