import { Inject, Injectable, type OnModuleInit } from "@nestjs/common";
import { and, asc, eq, gt, ne } from "drizzle-orm";
import type { Database, Executor, Tx } from "../../../db/src/database.js";
import { approvals } from "../../../db/src/schema-approvals.js";
import { operationPolicy } from "../../../db/src/schema-policy.js";
import { operations } from "../../../db/src/schema.js";
import type { JsonValue } from "../../../shared/src/canonical-json.js";
import { countApprovals } from "../../../policy/src/approvals.js";
import { compilePolicy, evaluate } from "../../../policy/src/evaluate.js";
import type { CompiledPolicy, Decision } from "../../../policy/src/evaluate.js";
import { operationPayloadDigest, payloadIntent } from "../../../policy/src/operation-payload.js";
import type { OperationPayload } from "../../../policy/src/operation-payload.js";
import { MAX_WINDOW_SECONDS } from "../../../policy/src/schema.js";
import type { Intent } from "../../../policy/src/schema.js";
import type { ApprovalEvidence } from "../../../policy/src/webauthn-verify.js";
import { AuditService } from "../audit/audit.service.js";
import type { Principal } from "../auth/roles.js";
import type { JsonLogger } from "../logger.js";
import { CLOCK, DATABASE, LOGGER, type Clock } from "../tokens.js";
import { PolicyDeniedError } from "./errors.js";
import { evmPayload, tezosPayload } from "./payloads.js";
import { PolicyLifecycleService, type VerifiedVersion } from "./policy-lifecycle.service.js";
import type { PolicySettings } from "./settings.js";
import { POLICY_SETTINGS } from "./tokens.js";

/** What the outbox workers send the hot signer with each sign request. */
export interface SignAuthorization {
  readonly policyHash: string;
  readonly decision: "allow" | "require_approval";
  readonly ruleIds: readonly string[];
  /** The operation payload the approvals sign (the signer re-derives it from the transaction). */
  readonly payload: OperationPayload;
  readonly approvals: readonly ApprovalEvidence[];
}

interface StoredDecision {
  readonly decision: Decision["decision"];
  readonly ruleIds: readonly string[];
  readonly approvals: readonly { group: string; count: number }[];
  readonly reasons: readonly string[];
}

export type OperationStatusAfterPolicy = "queued" | "pending_approval";

/**
 * Enforcement in the request path: every governance and staking intent is evaluated under the
 * verified active policy before anything is queued. `allow` queues it, `require_approval` parks it
 * in `pending_approval` until approvals reach the threshold, `deny` is a 403 naming the rules and
 * rolls the whole request back.
 */
@Injectable()
export class PolicyEnforcementService implements OnModuleInit {
  readonly #compiled = new Map<string, CompiledPolicy>();

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(PolicyLifecycleService) private readonly lifecycle: PolicyLifecycleService,
    @Inject(POLICY_SETTINGS) private readonly settings: PolicySettings,
  ) {}

  onModuleInit(): void {
    if (this.settings.enforcement === "off") {
      this.logger.emit(
        "warn",
        "POLICY ENFORCEMENT IS OFF: intents are queued WITHOUT policy evaluation or approvals (POLICY_ENFORCEMENT=off; development and tests only)",
      );
    }
  }

  /** Whether intents are evaluated (false only with the explicit `POLICY_ENFORCEMENT=off`). */
  get enabled(): boolean {
    return this.settings.enforcement === "on";
  }

  #compile(version: VerifiedVersion): CompiledPolicy {
    let compiled = this.#compiled.get(version.hash);
    if (compiled === undefined) {
      compiled = compilePolicy(version.document);
      this.#compiled.set(version.hash, compiled);
    }
    return compiled;
  }

  /** Past intents of the customer inside the longest window, for velocity (not the failed ones). */
  async #history(ex: Executor, customerId: string, excludeId: string, now: Date): Promise<Intent[]> {
    const since = new Date(now.getTime() - MAX_WINDOW_SECONDS * 1000);
    const rows = await ex
      .select({ payload: operationPolicy.payload, createdAt: operations.createdAt })
      .from(operations)
      .innerJoin(operationPolicy, eq(operationPolicy.operationId, operations.id))
      .where(
        and(
          eq(operations.customerId, customerId),
          gt(operations.createdAt, since),
          ne(operations.status, "failed"),
          ne(operations.id, excludeId),
        ),
      )
      .orderBy(asc(operations.createdAt));
    const out: Intent[] = [];
    for (const r of rows) {
      try {
        out.push(payloadIntent(r.payload, r.createdAt.toISOString()));
      } catch {
        // A stored payload that no longer parses cannot loosen a limit; skipping it only
        // undercounts, so log it loudly.
        this.logger.emit("error", "unreadable stored operation payload ignored in velocity", { customerId });
      }
    }
    return out;
  }

  #evaluate(version: VerifiedVersion, payload: OperationPayload, at: Date, history: Intent[]): Decision {
    return evaluate(this.#compile(version), payloadIntent(payload, at.toISOString()), history);
  }

  /**
   * Evaluates a just-inserted `queued` operation in the caller's transaction and records the
   * decision; returns the status the operation now has.
   *
   * @throws {PolicyDeniedError} `policy_denied` (rules named) or `policy_not_active` (403);
   *   the caller's transaction then rolls back and nothing is queued.
   */
  async enforce(
    tx: Tx,
    ctx: { readonly principal: Principal; readonly now: Date },
    payload: OperationPayload,
  ): Promise<OperationStatusAfterPolicy> {
    if (!this.enabled) return "queued";
    const active = await this.lifecycle.active(tx);
    if (active === null) {
      throw new PolicyDeniedError(
        "policy_not_active",
        "no quorum-activated policy is in force: intents are refused",
        [],
      );
    }
    const requester = this.settings.requesterApprovers.get(ctx.principal.keyId) ?? null;
    // The requester is part of what approvers sign, so the signer can refuse self-approval too.
    if (requester !== null) payload = { ...payload, requestedBy: requester };
    const history = await this.#history(tx, payload.customerId, payload.operationId, ctx.now);
    const decision = this.#evaluate(active, payload, ctx.now, history);
    if (decision.decision === "deny") {
      throw new PolicyDeniedError(
        "policy_denied",
        `denied by policy v${active.version} (${decision.matchedRules.length > 0 ? decision.matchedRules.join(", ") : "no rule allows it"}): ${decision.reasons.at(-1) ?? ""}`,
        decision.matchedRules,
      );
    }
    await this.#store(tx, payload, active, decision, requester, ctx.now, false);
    const status: OperationStatusAfterPolicy = decision.decision === "allow" ? "queued" : "pending_approval";
    if (status === "pending_approval") {
      await tx
        .update(operations)
        .set({ status: "pending_approval", updatedAt: ctx.now })
        .where(eq(operations.id, payload.operationId));
    }
    await this.audit.record(
      tx,
      ctx.principal,
      "policy.decided",
      {
        operationId: payload.operationId,
        policyHash: active.hash,
        policyVersion: active.version,
        decision: decision.decision,
        ruleIds: [...decision.matchedRules],
        approvals: (decision.approvals ?? []).map((a) => ({ group: a.group, count: a.count })),
      },
      ctx.now,
    );
    return status;
  }

  /**
   * `enforce` for a queued governance call (see governance.service.ts `#queue`).
   *
   * @throws {PolicyDeniedError} see {@link enforce}.
   */
  async enforceEvm(
    tx: Tx,
    ctx: { readonly principal: Principal; readonly now: Date },
    op: {
      operationId: string;
      customerId: string;
      kind: string;
      to: string;
      intent: Record<string, JsonValue>;
      chainId: bigint;
      chief: string;
    },
  ): Promise<OperationStatusAfterPolicy> {
    if (!this.enabled) return "queued";
    const payload = evmPayload(
      { chainId: op.chainId, chief: op.chief, asset: this.settings.evmAsset ?? "mkr" },
      op,
    );
    return this.enforce(tx, ctx, payload);
  }

  /**
   * `enforce` for a queued staking intent (see staking.service.ts `#queue`).
   *
   * @throws {PolicyDeniedError} see {@link enforce}.
   */
  async enforceTezos(
    tx: Tx,
    ctx: { readonly principal: Principal; readonly now: Date },
    op: { operationId: string; customerId: string; intent: Parameters<typeof tezosPayload>[1]["intent"] },
  ): Promise<OperationStatusAfterPolicy> {
    if (!this.enabled) return "queued";
    return this.enforce(tx, ctx, tezosPayload({ chainId: this.settings.tezosChainId ?? "tezossandbox" }, op));
  }

  async #store(
    ex: Executor,
    payload: OperationPayload,
    version: VerifiedVersion,
    decision: Decision,
    requester: string | null,
    at: Date,
    replace: boolean,
  ): Promise<void> {
    const first = decision.approvals?.[0];
    const stored: StoredDecision = {
      decision: decision.decision,
      ruleIds: decision.matchedRules,
      approvals: (decision.approvals ?? []).map((a) => ({ group: a.group, count: a.count })),
      reasons: decision.reasons,
    };
    const row = {
      policyHash: version.hash,
      policyVersion: version.version,
      decision: stored as unknown as JsonValue,
      payload: payload as unknown as JsonValue,
      payloadDigest: operationPayloadDigest(payload),
      approvalGroup: first?.group ?? null,
      approvalThreshold: first?.count ?? null,
      requesterApproverId: requester,
      evaluatedAt: at,
    };
    if (replace)
      await ex.update(operationPolicy).set(row).where(eq(operationPolicy.operationId, payload.operationId));
    else await ex.insert(operationPolicy).values({ operationId: payload.operationId, ...row });
  }

  async #approvalsOf(ex: Executor, operationId: string): Promise<ApprovalEvidence[]> {
    const rows = await ex
      .select({ evidence: approvals.evidence })
      .from(approvals)
      .where(
        and(
          eq(approvals.subjectKind, "operation"),
          eq(approvals.subjectId, operationId),
          eq(approvals.decision, "approve"),
        ),
      )
      .orderBy(asc(approvals.createdAt));
    return rows.map((r) => r.evidence as ApprovalEvidence).filter((e) => e !== null);
  }

  /**
   * Re-counts the stored approvals of a `pending_approval` operation under the active policy and
   * queues it once every requirement is met. If the active policy changed since the intent was
   * evaluated, the intent is evaluated again under the new one first (an approver removed by a
   * later policy no longer counts; a newly denied intent fails).
   */
  async onApprovalRecorded(operationId: string): Promise<{ status: string; approvedBy: readonly string[] }> {
    return this.database.db.transaction(async (tx) => {
      const now = this.clock();
      const [row] = await tx
        .select({ op: operations, policy: operationPolicy })
        .from(operations)
        .innerJoin(operationPolicy, eq(operationPolicy.operationId, operations.id))
        .where(eq(operations.id, operationId))
        .for("update");
      if (!row || row.op.status !== "pending_approval")
        return { status: row?.op.status ?? "unknown", approvedBy: [] };
      const active = await this.lifecycle.active(tx);
      if (active === null) return { status: row.op.status, approvedBy: [] };
      const payload = row.policy.payload as OperationPayload;
      let decision = row.policy.decision as unknown as StoredDecision;
      if (row.policy.policyHash !== active.hash) {
        const history = await this.#history(tx, row.op.customerId, operationId, row.op.createdAt);
        const fresh = this.#evaluate(active, payload, row.op.createdAt, history);
        await this.#store(tx, payload, active, fresh, row.policy.requesterApproverId, now, true);
        decision = {
          decision: fresh.decision,
          ruleIds: fresh.matchedRules,
          approvals: fresh.approvals ?? [],
          reasons: fresh.reasons,
        };
        if (fresh.decision === "deny") {
          await this.#fail(
            tx,
            operationId,
            `denied by policy v${active.version} (${fresh.matchedRules.join(", ")})`,
            now,
          );
          return { status: "failed", approvedBy: [] };
        }
      }
      const evidence = await this.#approvalsOf(tx, operationId);
      const approvedBy = new Set<string>();
      let met = true;
      for (const req of decision.approvals) {
        const count = this.count(active, evidence, req, payload, row.policy.requesterApproverId, now);
        count.approvedBy.forEach((a) => approvedBy.add(a));
        if (!count.reached) met = false;
      }
      if (decision.decision === "allow" || met) {
        await tx
          .update(operations)
          .set({ status: "queued", updatedAt: now })
          .where(eq(operations.id, operationId));
        await this.audit.record(
          tx,
          "policy-enforcement",
          "policy.approved",
          { operationId, policyHash: active.hash, approvedBy: [...approvedBy].sort() },
          now,
        );
        return { status: "queued", approvedBy: [...approvedBy].sort() };
      }
      return { status: "pending_approval", approvedBy: [...approvedBy].sort() };
    });
  }

  /** Counts approvals for one requirement under `policy` (the shared services/policy rule). */
  count(
    policy: VerifiedVersion,
    evidence: readonly ApprovalEvidence[],
    req: { readonly group: string; readonly count: number },
    payload: OperationPayload,
    requester: string | null,
    now: Date,
  ): ReturnType<typeof countApprovals> {
    const web = policy.document.webauthn;
    return countApprovals(evidence, {
      policy: policy.document,
      group: req.group,
      threshold: req.count,
      requesterId: requester,
      subject: { kind: "operation", digest: operationPayloadDigest(payload) },
      now: Math.floor(now.getTime() / 1000),
      rpId: web?.rpId ?? "",
      origins: web?.origins ?? [],
    });
  }

  /** An approver of the group rejected the operation: it fails with `rejected by <approver>`. */
  async onRejected(operationId: string, approverId: string, reason: string): Promise<void> {
    await this.database.db.transaction(async (tx) => {
      const [op] = await tx.select().from(operations).where(eq(operations.id, operationId)).for("update");
      if (!op || op.status !== "pending_approval") return;
      const now = this.clock();
      await this.#fail(tx, operationId, `rejected by ${approverId}${reason ? `: ${reason}` : ""}`, now);
    });
  }

  async #fail(tx: Tx, operationId: string, reason: string, now: Date): Promise<void> {
    await tx
      .update(operations)
      .set({ status: "failed", failureReason: reason, updatedAt: now })
      .where(eq(operations.id, operationId));
    await this.audit.record(tx, "policy-enforcement", "policy.failed", { operationId, reason }, now);
  }

  /**
   * The authorization the outbox worker sends the hot signer with the sign request, or null when
   * enforcement is off or the operation has no recorded decision.
   */
  async authorizationFor(
    operationId: string,
    ex: Executor = this.database.db,
  ): Promise<SignAuthorization | null> {
    if (!this.enabled) return null;
    const [row] = await ex.select().from(operationPolicy).where(eq(operationPolicy.operationId, operationId));
    if (!row) return null;
    const d = row.decision as unknown as StoredDecision;
    if (d.decision === "deny") return null;
    return {
      policyHash: row.policyHash,
      decision: d.decision,
      ruleIds: [...d.ruleIds],
      payload: row.payload as OperationPayload,
      approvals: d.decision === "require_approval" ? await this.#approvalsOf(ex, operationId) : [],
    };
  }
}
