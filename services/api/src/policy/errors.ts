import { ServiceError, ValidationError } from "../../../shared/src/errors.js";

/** A policy document or signature was refused: 400 naming the field. */
export class PolicyInputError extends ValidationError {}

/** Enforcement refused an intent (deny, or no active policy): 403 naming the rules. */
export class PolicyDeniedError extends ServiceError {
  constructor(
    code: "policy_denied" | "policy_not_active",
    message: string,
    readonly ruleIds: readonly string[],
  ) {
    super(code, 403, message);
  }

  override toBody(): { error: { code: string; field?: string; message: string; ruleIds?: string[] } } {
    return { error: { ...super.toBody().error, ruleIds: [...this.ruleIds] } };
  }
}
