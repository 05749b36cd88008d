/**
 * The Coldpath policy engine: policy documents, deterministic evaluation, and quorum-approved
 * policy versions. `quorum.ts` is the part the hot signer imports on its own.
 */
export * from "./errors.js";
export * from "./schema.js";
export { canonicalJson, policyHash, policyHashBytes } from "./canonical.js";
export { validatePolicy, parsePolicyJson, validateIntent, allowRuleBounds, groupSizes } from "./validate.js";
export { VelocityIndex, seriesKey } from "./velocity.js";
export type { WindowTotals } from "./velocity.js";
export { compilePolicy, evaluate, evaluatePolicy, normaliseAddress } from "./evaluate.js";
export type { CompiledPolicy, Decision, ApprovalRequirement } from "./evaluate.js";
export * from "./quorum.js";
export * from "./approval-challenge.js";
export * from "./webauthn-verify.js";
export * from "./approvals.js";
export {
  operationPayloadSchema,
  validateOperationPayload,
  operationPayloadDigest,
  describeOperation,
  formatUnits,
  payloadIntent,
  AMOUNT_UNITS,
} from "./operation-payload.js";
export type { OperationPayload, AmountUnit } from "./operation-payload.js";
