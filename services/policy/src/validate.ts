/**
 * `validatePolicy`: the one gate every policy document passes before it is hashed, signed,
 * verified or evaluated.
 */
import type { z } from "zod";
import { IntentValidationError, PolicyValidationError } from "./errors.js";
import type { PolicyIssue } from "./errors.js";
import { intentSchema, policyDocumentSchema } from "./schema.js";
import type { Action, Intent, PolicyDocument, PolicyRule } from "./schema.js";

/** Formats a zod path as `rules[3].outcome.group`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function zodIssues(error: z.ZodError): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  for (const issue of error.issues) {
    const path = formatPath(issue.path);
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ path: join(path, key), message: "unknown field" });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

/**
 * Checks a policy document completely and returns it deeply frozen.
 *
 * Besides the shape, it refuses: a `previousPolicyHash` that is not `null` exactly for
 * version 1; an approver id listed with different keys in two groups; one public key under two
 * approver ids (it would count twice); duplicate approvers in a group; a quorum or an approval
 * requirement naming an unknown group or asking for more approvers than the group has;
 * duplicate rule ids or actions; a velocity limit with neither `maxCount` nor `maxAmount`;
 * an empty time window (`fromHour` = `toHour`); `otherwise` on a rule without conditions; and an
 * `allow` rule that is not bounded (see `allowRuleBounds`).
 *
 * @throws {PolicyValidationError} listing every issue; `err.path` names the first one.
 * @example const policy = validatePolicy(JSON.parse(text));
 */
export function validatePolicy(input: unknown): PolicyDocument {
  const parsed = policyDocumentSchema.safeParse(input);
  if (!parsed.success) throw new PolicyValidationError(zodIssues(parsed.error));
  // A JSON round trip drops members set to `undefined` by JavaScript callers, so the document
  // hashed and signed is exactly the JSON document that is stored and shown.
  const policy = JSON.parse(JSON.stringify(parsed.data)) as PolicyDocument;
  const issues = semanticIssues(policy);
  if (issues.length > 0) throw new PolicyValidationError(issues);
  return deepFreeze(policy);
}

/**
 * Parses JSON text and validates it as a policy document.
 *
 * @throws {PolicyValidationError} on malformed JSON (path `""`) or an invalid document.
 */
export function parsePolicyJson(text: string): PolicyDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PolicyValidationError([
      { path: "", message: `not JSON: ${err instanceof Error ? err.message : String(err)}` },
    ]);
  }
  return validatePolicy(value);
}

/**
 * Validates an intent handed to the evaluator.
 *
 * @throws {IntentValidationError} naming the first bad field.
 */
export function validateIntent(input: unknown): Intent {
  const parsed = intentSchema.safeParse(input);
  if (!parsed.success) {
    const first = zodIssues(parsed.error)[0] ?? { path: "", message: "invalid intent" };
    throw new IntentValidationError(first.path === "" ? "intent" : first.path, first.message);
  }
  return parsed.data;
}

/** Distinct approver ids of each group. */
export function groupSizes(policy: PolicyDocument): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const [name, group] of Object.entries(policy.approverGroups)) {
    sizes.set(name, new Set(group.approvers.map((a) => a.id)).size);
  }
  return sizes;
}

function semanticIssues(policy: PolicyDocument): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const add = (path: string, message: string): void => void issues.push({ path, message });

  if (policy.version === 1 && policy.previousPolicyHash !== null) {
    add("previousPolicyHash", "must be null for version 1 (the genesis policy)");
  }
  if (policy.version > 1 && policy.previousPolicyHash === null) {
    add("previousPolicyHash", `version ${policy.version} must name the policy it replaces`);
  }

  const keysOfId = new Map<string, string>();
  const idOfKey = new Map<string, string>();
  for (const [name, group] of Object.entries(policy.approverGroups)) {
    const seen = new Set<string>();
    group.approvers.forEach((approver, i) => {
      const path = `approverGroups.${name}.approvers[${i}]`;
      if (seen.has(approver.id)) add(`${path}.id`, `approver ${approver.id} listed twice in ${name}`);
      seen.add(approver.id);
      const publicKeys = approver.publicKeys ?? [];
      const passkeys = approver.passkeys ?? [];
      const keys = [...new Set(publicKeys)].sort();
      if (keys.length !== publicKeys.length) add(`${path}.publicKeys`, "duplicate key");
      const credentials = passkeys.map((p) => `${p.credentialId}=${p.publicKey}`).sort();
      if (new Set(passkeys.map((p) => p.credentialId)).size !== passkeys.length) {
        add(`${path}.passkeys`, "duplicate credentialId");
      }
      // The same approver id must mean the same person with the same keys in every group.
      const identity = `${keys.join(",")}|${credentials.join(",")}`;
      const known = keysOfId.get(approver.id);
      if (known !== undefined && known !== identity) {
        add(`${path}.publicKeys`, `approver ${approver.id} has different keys in another group`);
      }
      keysOfId.set(approver.id, identity);
      publicKeys.forEach((key, k) => {
        const owner = idOfKey.get(key);
        if (owner !== undefined && owner !== approver.id) {
          add(`${path}.publicKeys[${k}]`, `key already belongs to approver ${owner}`);
        }
        idOfKey.set(key, approver.id);
      });
      passkeys.forEach((passkey, k) => {
        for (const [what, value] of [
          ["credentialId", `cred:${passkey.credentialId}`],
          ["publicKey", `p256:${passkey.publicKey}`],
        ] as const) {
          const owner = idOfKey.get(value);
          if (owner !== undefined && owner !== approver.id) {
            add(`${path}.passkeys[${k}].${what}`, `passkey already belongs to approver ${owner}`);
          }
          idOfKey.set(value, approver.id);
        }
      });
    });
  }

  const sizes = groupSizes(policy);
  const checkGroup = (path: string, group: string, count: number, what: string): void => {
    const size = sizes.get(group);
    if (size === undefined) add(`${path}.group`, `unknown approver group ${group}`);
    else if (count > size) {
      add(`${path}.${what}`, `${count} approvals asked but group ${group} has ${size} approvers`);
    }
  };
  checkGroup("quorum", policy.quorum.group, policy.quorum.threshold, "threshold");

  const ruleIds = new Set<string>();
  policy.rules.forEach((rule, r) => {
    const path = `rules[${r}]`;
    if (ruleIds.has(rule.id)) add(`${path}.id`, `duplicate rule id ${rule.id}`);
    ruleIds.add(rule.id);
    if (new Set(rule.match.actions).size !== rule.match.actions.length) {
      add(`${path}.match.actions`, "duplicate action");
    }
    if (rule.outcome.type === "require") {
      checkGroup(`${path}.outcome`, rule.outcome.group, rule.outcome.count, "count");
    }
    if (rule.otherwise !== undefined) {
      if (rule.conditions === undefined) {
        add(`${path}.otherwise`, "needs conditions (otherwise applies when a condition fails)");
      }
      if (rule.otherwise.type === "require") {
        checkGroup(`${path}.otherwise`, rule.otherwise.group, rule.otherwise.count, "count");
      }
    }
    const c = rule.conditions;
    c?.velocity?.forEach((v, i) => {
      if (v.maxCount === undefined && v.maxAmount === undefined) {
        add(`${path}.conditions.velocity[${i}]`, "needs maxCount or maxAmount");
      }
    });
    if (c?.timeWindow !== undefined) {
      const tw = c.timeWindow;
      if (tw.fromHour === tw.toHour % 24) {
        add(`${path}.conditions.timeWindow`, "fromHour and toHour give an empty or ambiguous window");
      }
      if (tw.days !== undefined && new Set(tw.days).size !== tw.days.length) {
        add(`${path}.conditions.timeWindow.days`, "duplicate day");
      }
    }
    if (rule.outcome.type === "allow") {
      for (const problem of allowRuleBounds(rule)) add(`${path}.${problem.path}`, problem.message);
    }
  });
  return issues;
}

/**
 * What makes an `allow` rule acceptable: auto-approval is for routine, bounded actions, so an
 * out-of-pattern intent can never fall into it.
 *
 * - every allow rule needs a velocity limit with `maxCount` (a burst escalates);
 * - `vote`: a chief allowlist and a candidate or slate allowlist;
 * - `delegate`: a baker allowlist;
 * - `lock`, `free`, `freeAll`: a chief allowlist and `maxAmount`;
 * - `withdrawal-preparation`: `maxAmount`.
 */
export function allowRuleBounds(rule: PolicyRule): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  const c = rule.conditions;
  const lists = c?.allowlists;
  if (!(c?.velocity ?? []).some((v) => v.maxCount !== undefined)) {
    out.push({ path: "conditions.velocity", message: "an allow rule needs a velocity limit with maxCount" });
  }
  const need = (ok: boolean, path: string, action: Action, what: string): void => {
    if (!ok) out.push({ path, message: `an allow rule for ${action} must restrict ${what}` });
  };
  for (const action of rule.match.actions) {
    switch (action) {
      case "vote":
        need(lists?.chiefs !== undefined, "conditions.allowlists.chiefs", action, "chiefs");
        need(
          lists?.candidates !== undefined || lists?.slates !== undefined,
          "conditions.allowlists.candidates",
          action,
          "candidates or slates",
        );
        break;
      case "delegate":
        need(lists?.bakers !== undefined, "conditions.allowlists.bakers", action, "bakers");
        break;
      case "lock":
      case "free":
      case "freeAll":
        need(lists?.chiefs !== undefined, "conditions.allowlists.chiefs", action, "chiefs");
        need(c?.maxAmount !== undefined, "conditions.maxAmount", action, "the amount");
        break;
      case "withdrawal-preparation":
        need(c?.maxAmount !== undefined, "conditions.maxAmount", action, "the amount");
        break;
      case "originate":
        break;
    }
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
