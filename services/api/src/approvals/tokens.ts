import type { PolicyDocument } from "../../../policy/src/schema.js";

/** Injection tokens of the approvals area (see services/api/src/tokens.ts for why tokens). */
export const APPROVALS_REPOSITORY = Symbol("APPROVALS_REPOSITORY");
export const ACTIVE_POLICY = Symbol("ACTIVE_POLICY");

/** The quorum-activated policy version in force, as the policy lifecycle reports it. */
export interface ActivePolicy {
  readonly hash: string;
  readonly version: number;
  readonly document: PolicyDocument;
}

/** Where approvals learn which policy is active; the database alone cannot answer this. */
export interface ActivePolicySource {
  active(): Promise<ActivePolicy | null>;
}
