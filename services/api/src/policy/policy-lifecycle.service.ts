import { randomUUID } from "node:crypto";
import { Inject, Injectable, Optional, type OnApplicationBootstrap } from "@nestjs/common";
import { asc, eq, inArray, sql } from "drizzle-orm";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { rowsOf, type Database, type Executor, type Tx } from "../../../db/src/database.js";
import { policySignatures, policyVersions } from "../../../db/src/schema-policy.js";
import { ConflictError, NotFoundError, ServiceError } from "../../../shared/src/errors.js";
import type { JsonValue } from "../../../shared/src/canonical-json.js";
import { canonicalJson, policyHash } from "../../../policy/src/canonical.js";
import { PolicyError } from "../../../policy/src/errors.js";
import { policyActivationDigest, verifyPolicyActivation } from "../../../policy/src/quorum.js";
import type {
  ActivationAuthority,
  ActivationReport,
  GenesisQuorum,
  PolicySignature,
} from "../../../policy/src/quorum.js";
import type { PolicyDocument } from "../../../policy/src/schema.js";
import { validatePolicy } from "../../../policy/src/validate.js";
import { AuditService } from "../audit/audit.service.js";
import type { Principal } from "../auth/roles.js";
import type { JsonLogger } from "../logger.js";
import { CLOCK, DATABASE, LOGGER, type Clock } from "../tokens.js";
import { PolicyInputError } from "./errors.js";
import type { PolicySettings } from "./settings.js";
import { POLICY_CHAIN_SINK, POLICY_SETTINGS } from "./tokens.js";

/** One stored version as verified on load. */
export interface VerifiedVersion {
  readonly hash: string;
  readonly version: number;
  readonly previousHash: string | null;
  readonly document: PolicyDocument;
  /** Recomputed from signatures; the stored status is only compared with it. */
  readonly status: "active" | "superseded" | "proposed";
  readonly storedStatus: string;
  /** True when the stored row disagrees with what the signatures prove (a forged or stale row). */
  readonly integrityProblem: string | null;
  readonly signatures: readonly StoredSignature[];
  readonly approvedBy: readonly string[];
  readonly threshold: number | null;
  readonly proposedBy: string;
  readonly createdAt: Date;
  readonly activatedAt: Date | null;
}

export interface StoredSignature {
  readonly kind: "ed25519" | "webauthn";
  readonly approverId: string;
  readonly signature: PolicySignature;
  readonly submittedBy: string;
  readonly createdAt: Date;
}

/** The verified state of every stored version: the activated chain and the rest. */
export interface PolicyState {
  /** Activated versions, genesis first; the last one is in force. */
  readonly chain: readonly VerifiedVersion[];
  readonly all: readonly VerifiedVersion[];
  readonly active: VerifiedVersion | null;
}

/** Receives every newly activated chain (the hot signer push). */
export interface PolicyChainSink {
  push(chain: readonly { policy: PolicyDocument; signatures: readonly PolicySignature[] }[]): Promise<void>;
}

/**
 * The policy tables' stamp as this executor sees them now (a new value with every committed
 * change; never reused, so a rolled-back change cannot alias a later state), or null when its row
 * is missing: then nothing may be cached.
 */
async function policyStamp(ex: Executor): Promise<string | null> {
  const rows = rowsOf<{ stamp: string | number }>(
    await ex.execute(sql`select stamp from policy_state_stamp`),
  );
  return rows[0] === undefined ? null : String(rows[0].stamp);
}

type VersionRow = typeof policyVersions.$inferSelect;
type SignatureRow = typeof policySignatures.$inferSelect;

/**
 * Policy versions: propose, sign, and the activated chain recomputed from signatures on every
 * load (never from the stored status). Activation needs the quorum of the previous active
 * version, or the pinned genesis quorum for version 1.
 */
@Injectable()
export class PolicyLifecycleService implements OnApplicationBootstrap {
  readonly #reports = new Map<string, ActivationReport>();
  /** The active version as of a policy stamp (see {@link active}). */
  #activeCache: { readonly stamp: string; readonly active: VerifiedVersion | null } | undefined;

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(POLICY_SETTINGS) private readonly settings: PolicySettings,
    @Optional() @Inject(POLICY_CHAIN_SINK) private readonly sink?: PolicyChainSink | null,
  ) {}

  /** Hands the signer the current chain at start (it may have missed an activation). */
  onApplicationBootstrap(): void {
    void this.pushChain();
  }

  /** The pinned genesis quorum, or null when none is configured. */
  get genesis(): GenesisQuorum | null {
    return this.settings.genesis;
  }

  // Verification is pure; memoised by everything it depends on, so a changed row is re-verified.
  #verify(
    doc: PolicyDocument,
    signatures: readonly PolicySignature[],
    authority: ActivationAuthority,
  ): ActivationReport {
    const key = bytesToHex(
      sha256(
        utf8ToBytes(
          JSON.stringify([
            "previous" in authority
              ? policyHash(authority.previous)
              : canonicalJson(authority.genesis as never),
            policyHash(doc),
            signatures,
          ]),
        ),
      ),
    );
    let report = this.#reports.get(key);
    if (report === undefined) {
      report = verifyPolicyActivation(doc, signatures, authority);
      if (this.#reports.size > 1000) this.#reports.clear();
      this.#reports.set(key, report);
    }
    return report;
  }

  /**
   * Loads every version and signature and recomputes the activated chain from the genesis quorum.
   * A row whose stored status claims more than its signatures prove is reported (and logged),
   * never trusted.
   */
  async state(ex: Executor = this.database.db): Promise<PolicyState> {
    const rows = await ex
      .select()
      .from(policyVersions)
      .orderBy(asc(policyVersions.version), asc(policyVersions.createdAt));
    const sigRows =
      rows.length === 0
        ? []
        : await ex.select().from(policySignatures).orderBy(asc(policySignatures.createdAt));
    const sigsOf = new Map<string, SignatureRow[]>();
    for (const s of sigRows) sigsOf.set(s.policyHash, [...(sigsOf.get(s.policyHash) ?? []), s]);

    const parsed = new Map<string, { row: VersionRow; doc: PolicyDocument | null; problem: string | null }>();
    for (const row of rows) {
      let doc: PolicyDocument | null = null;
      let problem: string | null = null;
      try {
        doc = validatePolicy(row.document);
        if (policyHash(doc) !== row.hash) problem = "stored document does not hash to its row's hash";
      } catch (error) {
        problem = `stored document is invalid: ${(error as Error).message}`;
      }
      parsed.set(row.hash, { row, doc: problem === null ? doc : null, problem });
    }

    const chain: { hash: string; report: ActivationReport }[] = [];
    const genesis = this.settings.genesis;
    let head: PolicyDocument | null = null;
    let headHash: string | null = null;
    if (genesis !== null) {
      for (let version = 1; ; version++) {
        const candidates = rows
          .filter((r) => r.version === version && r.previousHash === headHash)
          .sort((a, b) => (a.activatedAt?.getTime() ?? Infinity) - (b.activatedAt?.getTime() ?? Infinity));
        let next: { hash: string; doc: PolicyDocument; report: ActivationReport } | undefined;
        for (const candidate of candidates) {
          const entry = parsed.get(candidate.hash);
          if (entry?.doc === undefined || entry.doc === null) continue;
          const sigs = (sigsOf.get(candidate.hash) ?? []).map((s) => s.signature as PolicySignature);
          const authority: ActivationAuthority = head === null ? { genesis } : { previous: head };
          const report = this.#verify(entry.doc, sigs, authority);
          if (report.activated) {
            next = { hash: candidate.hash, doc: entry.doc, report };
            break;
          }
        }
        if (next === undefined) break;
        chain.push({ hash: next.hash, report: next.report });
        head = next.doc;
        headHash = next.hash;
      }
    }

    const position = new Map(chain.map((c, i) => [c.hash, i]));
    const all: VerifiedVersion[] = rows.map((row) => {
      const entry = parsed.get(row.hash)!;
      const at = position.get(row.hash);
      const status = at === undefined ? "proposed" : at === chain.length - 1 ? "active" : "superseded";
      let integrityProblem = entry.problem;
      if (integrityProblem === null && status === "proposed" && row.status !== "proposed") {
        integrityProblem = `row claims ${row.status} but no quorum of its activating authority signed it`;
      }
      if (integrityProblem !== null) {
        this.logger.emit("error", "policy row refused", {
          hash: row.hash,
          version: row.version,
          problem: integrityProblem,
        });
      }
      const report = at === undefined ? undefined : chain[at]!.report;
      return {
        hash: row.hash,
        version: row.version,
        previousHash: row.previousHash,
        document: (entry.doc ?? row.document) as PolicyDocument,
        status,
        storedStatus: row.status,
        integrityProblem,
        signatures: (sigsOf.get(row.hash) ?? []).map((s) => ({
          kind: s.kind,
          approverId: s.approverId,
          signature: s.signature as PolicySignature,
          submittedBy: s.submittedBy,
          createdAt: s.createdAt,
        })),
        approvedBy: report?.approvedBy ?? [],
        threshold: report?.threshold ?? null,
        proposedBy: row.proposedBy,
        createdAt: row.createdAt,
        activatedAt: row.activatedAt,
      };
    });
    const byHash = new Map(all.map((v) => [v.hash, v]));
    const verifiedChain = chain.map((c) => byHash.get(c.hash)!);
    return { chain: verifiedChain, all, active: verifiedChain.at(-1) ?? null };
  }

  /**
   * The version in force, verified, or null. The verified state is kept in memory under the
   * database's policy stamp (migration 0008: every write to the policy tables moves it in the same
   * transaction), so a request reads one small row instead of every version and signature, and an
   * activation committed by any instance takes effect here on the next call. The stamp is read
   * again after a reload: the state is only kept when nothing changed while it was loaded.
   */
  async active(ex: Executor = this.database.db): Promise<VerifiedVersion | null> {
    const stamp = await policyStamp(ex);
    const cached = this.#activeCache;
    if (stamp !== null && cached?.stamp === stamp) return cached.active;
    const { active } = await this.state(ex);
    if (stamp !== null && (await policyStamp(ex)) === stamp) this.#activeCache = { stamp, active };
    return active;
  }

  /**
   * Stores a proposed version. It must follow the active version (or be version 1 when none is
   * active). Proposing the same document again returns the stored proposal.
   *
   * @throws {PolicyInputError} `invalid_policy` naming the document field.
   * @throws {ConflictError} `stale_proposal` when it does not follow the active version.
   */
  async propose(
    tx: Tx,
    principal: Principal,
    input: unknown,
    now: Date,
  ): Promise<{ created: boolean; version: VerifiedVersion }> {
    let doc: PolicyDocument;
    try {
      doc = validatePolicy(input);
    } catch (error) {
      if (error instanceof PolicyError) {
        const path = error.path ?? "";
        throw new PolicyInputError(
          "invalid_policy",
          path === "" ? "document" : `document.${path}`,
          error.message,
        );
      }
      throw error;
    }
    const hash = policyHash(doc);
    const state = await this.state(tx);
    const existing = state.all.find((v) => v.hash === hash);
    if (existing) return { created: false, version: existing };
    const active = state.active;
    if (
      active === null
        ? doc.version !== 1
        : doc.version !== active.version + 1 || doc.previousPolicyHash !== active.hash
    ) {
      throw new ConflictError(
        "stale_proposal",
        active === null
          ? "no version is active: propose version 1 with previousPolicyHash null"
          : `propose version ${active.version + 1} with previousPolicyHash ${active.hash}`,
        "document.version",
      );
    }
    await tx.insert(policyVersions).values({
      hash,
      version: doc.version,
      previousHash: doc.previousPolicyHash,
      document: doc as unknown as JsonValue,
      status: "proposed",
      proposedBy: principal.actor,
      createdAt: now,
      activatedAt: null,
    });
    await this.audit.record(
      tx,
      principal,
      "policy.proposed",
      { hash, version: doc.version, previousHash: doc.previousPolicyHash },
      now,
    );
    const after = await this.state(tx);
    return { created: true, version: after.all.find((v) => v.hash === hash)! };
  }

  /**
   * Records one activation signature (Ed25519 or passkey evidence) after verifying it alone
   * against the activating authority; activates the version when the quorum is reached.
   *
   * @throws {NotFoundError} unknown hash. @throws {ConflictError} `already_active`,
   *   `not_next_version`, `duplicate_signature`. @throws {PolicyInputError} `invalid_signature`.
   */
  async addSignature(
    tx: Tx,
    actor: Principal | string,
    hash: string,
    signature: PolicySignature,
    now: Date,
  ): Promise<{
    activated: boolean;
    approvedBy: readonly string[];
    threshold: number;
    hash: string;
    version: number;
  }> {
    const state = await this.state(tx);
    const target = state.all.find((v) => v.hash === hash);
    if (!target) throw new NotFoundError("policy", hash);
    if (target.status !== "proposed")
      throw new ConflictError("already_active", `policy ${hash} is already activated`, "hash");
    if (target.integrityProblem !== null)
      throw new ConflictError("policy_integrity", target.integrityProblem, "hash");
    const genesis = this.settings.genesis;
    if (genesis === null) {
      throw new ServiceError(
        "genesis_not_configured",
        503,
        "no genesis quorum is pinned (POLICY_GENESIS_FILE)",
      );
    }
    const active = state.active;
    const follows =
      active === null
        ? target.version === 1
        : target.version === active.version + 1 && target.previousHash === active.hash;
    if (!follows) {
      throw new ConflictError(
        "not_next_version",
        `policy ${hash} does not follow the active version`,
        "hash",
      );
    }
    const authority: ActivationAuthority = active === null ? { genesis } : { previous: active.document };
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const single = verifyPolicyActivation(target.document, [signature], authority, { now: nowSeconds });
    const approverId = single.approvedBy[0];
    if (approverId === undefined) {
      throw new PolicyInputError(
        "invalid_signature",
        "signature",
        single.ignored[0]?.reason ?? "the signature does not count for this version",
      );
    }
    const isPasskey = "evidence" in signature;
    const fingerprint = isPasskey ? `nonce:${signature.evidence.nonce}` : `ed25519:${signature.publicKey}`;
    const inserted = await tx
      .insert(policySignatures)
      .values({
        id: randomUUID(),
        policyHash: hash,
        kind: isPasskey ? "webauthn" : "ed25519",
        approverId,
        fingerprint,
        signature: signature as unknown as JsonValue,
        submittedBy: typeof actor === "string" ? actor : actor.actor,
        createdAt: now,
      })
      .onConflictDoNothing()
      .returning({ id: policySignatures.id });
    if (inserted.length === 0) {
      throw new ConflictError(
        "duplicate_signature",
        `this ${isPasskey ? "approval" : "key"} already signed ${hash}`,
        "signature",
      );
    }
    await this.audit.record(
      tx,
      actor,
      "policy.signed",
      { hash, version: target.version, approverId, kind: isPasskey ? "webauthn" : "ed25519" },
      now,
    );
    const after = await this.state(tx);
    const updated = after.all.find((v) => v.hash === hash)!;
    const activated = updated.status === "active";
    if (activated) {
      // The stored status is a cache for humans and SQL; `state()` never trusts it.
      await tx
        .update(policyVersions)
        .set({ status: "superseded" })
        .where(
          inArray(
            policyVersions.hash,
            after.chain
              .slice(0, -1)
              .map((v) => v.hash)
              .concat(["-"]),
          ),
        );
      await tx
        .update(policyVersions)
        .set({ status: "active", activatedAt: now })
        .where(eq(policyVersions.hash, hash));
      await this.audit.record(
        tx,
        actor,
        "policy.activated",
        { hash, version: target.version, approvedBy: [...updated.approvedBy] },
        now,
      );
      this.logger.emit("info", "policy activated", {
        hash,
        version: target.version,
        approvedBy: updated.approvedBy,
      });
    }
    const report = this.#verify(
      target.document,
      updated.signatures.map((s) => s.signature),
      authority,
    );
    return {
      activated,
      approvedBy: report.approvedBy,
      threshold: report.threshold,
      hash,
      version: target.version,
    };
  }

  /** Pushes the activated chain to the hot signer, if a sink is configured. Failures are logged. */
  async pushChain(): Promise<void> {
    if (!this.sink || !this.settings.pushToSigner) return;
    const { chain } = await this.state();
    if (chain.length === 0) return;
    try {
      await this.sink.push(
        chain.map((v) => ({ policy: v.document, signatures: v.signatures.map((s) => s.signature) })),
      );
    } catch (error) {
      this.logger.emit("error", "could not push the policy chain to the signer", {
        error: (error as Error).message,
      });
    }
  }

  /** The subject digest passkeys sign to activate `hash` (SHA-256 of the activation message). */
  activationDigest(version: VerifiedVersion): string {
    return policyActivationDigest(version.document);
  }

  /**
   * Everything an auditor needs to re-verify the policy history independently: the pinned genesis
   * quorum as configured here, every activated version with its signatures, and the proposals.
   */
  async exportHistory(): Promise<PolicyHistoryExport> {
    const state = await this.state();
    const view = (v: VerifiedVersion): PolicyHistoryEntry => ({
      hash: v.hash,
      version: v.version,
      status: v.status,
      policy: v.document,
      signatures: v.signatures.map((s) => s.signature),
      approvedBy: v.approvedBy,
      proposedBy: v.proposedBy,
      createdAt: v.createdAt.toISOString(),
      activatedAt: v.activatedAt?.toISOString() ?? null,
      integrityProblem: v.integrityProblem,
    });
    const inChain = new Set(state.chain.map((v) => v.hash));
    return {
      format: "coldpath-policy-history/1",
      exportedAt: this.clock().toISOString(),
      genesis: this.settings.genesis,
      activeHash: state.active?.hash ?? null,
      chain: state.chain.map(view),
      others: state.all.filter((v) => !inChain.has(v.hash)).map(view),
    };
  }
}

export interface PolicyHistoryEntry {
  readonly hash: string;
  readonly version: number;
  readonly status: string;
  readonly policy: PolicyDocument;
  readonly signatures: readonly PolicySignature[];
  readonly approvedBy: readonly string[];
  readonly proposedBy: string;
  readonly createdAt: string;
  readonly activatedAt: string | null;
  readonly integrityProblem: string | null;
}

/** `GET /v1/policies/history/export`, verifiable with `npm run audit:verify -- --policies file.json`. */
export interface PolicyHistoryExport {
  readonly format: "coldpath-policy-history/1";
  readonly exportedAt: string;
  readonly genesis: GenesisQuorum | null;
  readonly activeHash: string | null;
  readonly chain: readonly PolicyHistoryEntry[];
  readonly others: readonly PolicyHistoryEntry[];
}
