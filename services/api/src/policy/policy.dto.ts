import { z } from "zod";
import type { PolicySignature } from "../../../policy/src/quorum.js";
import type { VerifiedVersion } from "./policy-lifecycle.service.js";

const hex = (n: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`), `expected ${n} lowercase hex characters`);
const b64u = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, "expected base64url")
  .max(20_000);

export const proposeSchema = z.strictObject({ document: z.unknown() });

const evidenceSchema = z.strictObject({
  approverId: z.string().min(1).max(64),
  credentialId: b64u,
  subject: z.strictObject({ kind: z.enum(["operation", "policy"]), digest: hex(64) }),
  expiresAt: z.int().min(0),
  nonce: hex(32),
  authenticatorData: b64u,
  clientDataJSON: b64u,
  signature: b64u,
});

export const signatureSchema = z.union([
  z.strictObject({
    publicKey: hex(64),
    signature: z.string().regex(/^[0-9a-fA-F]{128}$/, "expected 128 hex characters"),
  }),
  z.strictObject({ evidence: evidenceSchema }),
]);

export const hashParam = hex(64);

/** The JSON view of a version. */
export function versionView(v: VerifiedVersion, digest: string): Record<string, unknown> {
  return {
    hash: v.hash,
    version: v.version,
    previousHash: v.previousHash,
    status: v.status,
    storedStatus: v.storedStatus,
    integrityProblem: v.integrityProblem,
    approvedBy: v.approvedBy,
    threshold: v.threshold,
    activationDigest: digest,
    proposedBy: v.proposedBy,
    createdAt: v.createdAt.toISOString(),
    activatedAt: v.activatedAt?.toISOString() ?? null,
    signatures: v.signatures.map((s) => ({
      kind: s.kind,
      approverId: s.approverId,
      submittedBy: s.submittedBy,
      createdAt: s.createdAt.toISOString(),
      signature: s.signature as PolicySignature,
    })),
    document: v.document,
  };
}
