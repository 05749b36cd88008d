/**
 * Passkeys, WebAuthn challenges, approval evidence and console sessions (migration
 * `0007_approvals_passkeys`). Nothing here grants authority by itself: a passkey counts only
 * when an activated policy lists it, and every piece of evidence is re-verifiable from the
 * stored WebAuthn assertion alone.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

export const CHALLENGE_PURPOSES = ["registration", "sign-in", "approval"] as const;
export type ChallengePurpose = (typeof CHALLENGE_PURPOSES)[number];

export const APPROVAL_SUBJECT_KINDS = ["operation", "policy"] as const;
export type ApprovalSubjectKind = (typeof APPROVAL_SUBJECT_KINDS)[number];

export const APPROVAL_DECISIONS = ["approve", "reject"] as const;
export type ApprovalDecision = (typeof APPROVAL_DECISIONS)[number];

/** One-time enrolment codes an admin hands to an approver; only a hash of the code is kept. */
export const approverEnrolments = pgTable(
  "approver_enrolments",
  {
    id: uuid("id").primaryKey(),
    approverId: text("approver_id").notNull(),
    codeHash: text("code_hash").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("approver_enrolments_approver_idx").on(t.approverId)],
);

/**
 * Registered passkeys. `publicKeyHex` is the contract's form (uncompressed P-256 point) that a
 * policy lists; `cosePublicKey` is what the WebAuthn library verifies with. The row is only a
 * registration: whether the key is active is decided by the active policy, never by this table.
 */
export const approverPasskeys = pgTable(
  "approver_passkeys",
  {
    credentialId: text("credential_id").primaryKey(),
    approverId: text("approver_id").notNull(),
    publicKeyHex: text("public_key_hex").notNull(),
    cosePublicKey: text("cose_public_key").notNull(),
    counter: bigint("counter", { mode: "number" }).notNull(),
    transports: jsonb("transports").$type<string[]>().notNull(),
    enrolmentId: uuid("enrolment_id")
      .notNull()
      .references(() => approverEnrolments.id),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    index("approver_passkeys_approver_idx").on(t.approverId),
    uniqueIndex("approver_passkeys_public_key_unique").on(t.publicKeyHex),
  ],
);

/**
 * Issued WebAuthn challenges. Each is used at most once (`used_at` is set in the transaction
 * that consumes it) and expires; approval challenges also record the subject and the nonce the
 * contract's challenge bytes commit to.
 */
export const webauthnChallenges = pgTable(
  "webauthn_challenges",
  {
    id: uuid("id").primaryKey(),
    purpose: text("purpose").$type<ChallengePurpose>().notNull(),
    challenge: text("challenge").notNull(),
    approverId: text("approver_id"),
    enrolmentId: uuid("enrolment_id"),
    subjectKind: text("subject_kind").$type<ApprovalSubjectKind>(),
    subjectId: text("subject_id"),
    subjectDigest: text("subject_digest"),
    nonce: text("nonce"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("webauthn_challenges_challenge_unique").on(t.challenge),
    uniqueIndex("webauthn_challenges_nonce_unique").on(t.nonce),
    check("webauthn_challenges_purpose_check", sql`${t.purpose} in ('registration', 'sign-in', 'approval')`),
  ],
);

/**
 * Approvals and rejections. At most one decision per approver per subject (no double counting);
 * the nonce is unique across all approvals (no replay). `evidence` is the contract's
 * `ApprovalEvidence`, re-verifiable by the signer and auditors without this database.
 */
export const approvals = pgTable(
  "approvals",
  {
    id: uuid("id").primaryKey(),
    subjectKind: text("subject_kind").$type<ApprovalSubjectKind>().notNull(),
    subjectId: text("subject_id").notNull(),
    subjectDigest: text("subject_digest").notNull(),
    approverId: text("approver_id").notNull(),
    credentialId: text("credential_id").notNull(),
    decision: text("decision").$type<ApprovalDecision>().notNull(),
    reason: text("reason"),
    nonce: text("nonce"),
    evidence: jsonb("evidence"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [
    uniqueIndex("approvals_one_per_approver").on(t.subjectKind, t.subjectId, t.approverId),
    uniqueIndex("approvals_nonce_unique").on(t.nonce),
    check("approvals_subject_kind_check", sql`${t.subjectKind} in ('operation', 'policy')`),
    check("approvals_decision_check", sql`${t.decision} in ('approve', 'reject')`),
    // An approval always carries its signed evidence.
    check("approvals_evidence_check", sql`${t.decision} <> 'approve' or ${t.evidence} is not null`),
  ],
);

/** Console sessions; only SHA-256 of the cookie token and of the CSRF token is stored. */
export const consoleSessions = pgTable("console_sessions", {
  tokenHash: text("token_hash").primaryKey(),
  csrfHash: text("csrf_hash").notNull(),
  approverId: text("approver_id").notNull(),
  credentialId: text("credential_id").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  endedAt: timestamp("ended_at", { withTimezone: true, mode: "date" }),
});

export const approvalsSchema = {
  approverEnrolments,
  approverPasskeys,
  webauthnChallenges,
  approvals,
  consoleSessions,
};
