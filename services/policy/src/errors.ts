/**
 * Typed errors of the policy engine. Each carries a stable `code` and the offending public value
 * (a JSON path, a rule id, a public key), never anything secret.
 */

/** Base class of every error the policy engine raises on purpose. */
export class PolicyError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly path?: string,
    readonly value?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** One problem found in a policy document or an intent, located by its JSON path. */
export interface PolicyIssue {
  /** Dotted path with indices, e.g. `rules[3].outcome.group`; `""` is the document itself. */
  readonly path: string;
  readonly message: string;
}

/** A policy document was refused. `issues` lists every problem; `path` is the first one's. */
export class PolicyValidationError extends PolicyError {
  constructor(readonly issues: readonly PolicyIssue[]) {
    const first = issues[0] ?? { path: "", message: "invalid policy" };
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    super(
      "POLICY_INVALID",
      `${first.path === "" ? "policy" : first.path}: ${first.message}${more}`,
      first.path,
    );
  }
}

/** An intent handed to the evaluator was malformed (it never reaches a decision). */
export class IntentValidationError extends PolicyError {
  constructor(path: string, message: string) {
    super("POLICY_INTENT_INVALID", `${path}: ${message}`, path);
  }
}

/** A value could not be encoded as canonical JSON (floats, undefined, non-plain objects). */
export class CanonicalJsonError extends PolicyError {
  constructor(path: string, message: string) {
    super("POLICY_CANONICAL_JSON", `${path === "" ? "value" : path}: ${message}`, path);
  }
}

/** A policy version is not activated by its signatures (thrown by `assertPolicyActivation`). */
export class PolicyActivationError extends PolicyError {
  constructor(
    readonly problems: readonly string[],
    policyHashHex: string,
  ) {
    super(
      "POLICY_NOT_ACTIVATED",
      `policy ${policyHashHex} is not activated: ${problems.join("; ")}`,
      undefined,
      policyHashHex,
    );
  }
}

/** An approval input (challenge field, evidence field, operation payload) was malformed. */
export class ApprovalInputError extends PolicyError {
  constructor(path: string, value: string, message: string) {
    super("APPROVAL_INPUT_INVALID", `${path}: ${message}`, path, value.slice(0, 200));
  }
}
