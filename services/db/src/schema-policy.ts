/**
 * Policy versions, their activation signatures, and each operation's policy decision (migration
 * `0006_policy_versions`). The `status` column is a cache, never an authority: the API recomputes
 * which version is active from the documents and signatures, back to the pinned genesis quorum,
 * and ignores (and reports) a row that claims `active` without a verifying quorum.
 */
import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { operations } from "./schema.js";

export const POLICY_VERSION_STATUSES = ["proposed", "active", "superseded"] as const;
export type PolicyVersionStatus = (typeof POLICY_VERSION_STATUSES)[number];

export const policyVersions = pgTable(
  "policy_versions",
  {
    /** SHA-256 of the canonical JSON of `document` (recomputed on every load). */
    hash: text("hash").primaryKey(),
    version: integer("version").notNull(),
    previousHash: text("previous_hash"),
    document: jsonb("document").notNull(),
    status: text("status").$type<PolicyVersionStatus>().notNull(),
    proposedBy: text("proposed_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    activatedAt: timestamp("activated_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    index("policy_versions_version_idx").on(t.version),
    check("policy_versions_status_check", sql`${t.status} in ('proposed', 'active', 'superseded')`),
  ],
);

export const policySignatures = pgTable(
  "policy_signatures",
  {
    id: uuid("id").primaryKey(),
    policyHash: text("policy_hash")
      .notNull()
      .references(() => policyVersions.hash),
    kind: text("kind").$type<"ed25519" | "webauthn">().notNull(),
    approverId: text("approver_id").notNull(),
    /** Ed25519 public key, or the WebAuthn nonce: one row per key / per approval. */
    fingerprint: text("fingerprint").notNull(),
    /** The `PolicySignature` exactly as submitted (re-verified on every load). */
    signature: jsonb("signature").notNull(),
    submittedBy: text("submitted_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [
    uniqueIndex("policy_signatures_fingerprint_unique").on(t.policyHash, t.fingerprint),
    check("policy_signatures_kind_check", sql`${t.kind} in ('ed25519', 'webauthn')`),
  ],
);

/** What the policy engine decided for an operation, and the payload approvers sign. */
export const operationPolicy = pgTable("operation_policy", {
  operationId: uuid("operation_id")
    .primaryKey()
    .references(() => operations.id),
  policyHash: text("policy_hash").notNull(),
  policyVersion: integer("policy_version").notNull(),
  /** `{ decision, ruleIds, approvals, reasons }` as evaluated when the intent was accepted. */
  decision: jsonb("decision").notNull(),
  /** The services/policy `OperationPayload` (what approvers see and sign). */
  payload: jsonb("payload").notNull(),
  payloadDigest: text("payload_digest").notNull(),
  approvalGroup: text("approval_group"),
  approvalThreshold: integer("approval_threshold"),
  requesterApproverId: text("requester_approver_id"),
  evaluatedAt: timestamp("evaluated_at", { withTimezone: true, mode: "date" }).notNull(),
});

export const policySchema = { policyVersions, policySignatures, operationPolicy };
