/**
 * Deterministic policy evaluation.
 *
 * Precedence (documented in docs/policy/README.md):
 * 1. A rule is *in scope* when the intent's action, customer, chain and asset are among those
 *    its `match` lists (an absent list matches everything).
 * 2. A rule in scope whose conditions all hold yields its `outcome`; one with a failing
 *    condition yields its `otherwise` (require or deny) if it has one, and nothing if not.
 * 3. Any `deny` wins. Else every `require` applies: the intent needs, per group, the largest
 *    count any rule asked for (all groups together). Else `allow` if some rule allowed it.
 * 4. Nothing yielded an outcome: `deny`. There is no implicit allow.
 */
import { policyHash } from "./canonical.js";
import { DAYS } from "./schema.js";
import type { Action, Intent, PolicyDocument, PolicyRule, RuleOutcome } from "./schema.js";
import { validateIntent, validatePolicy } from "./validate.js";
import { VelocityIndex, seriesKey } from "./velocity.js";

/** One approval requirement: `count` distinct approvers of `group`. */
export interface ApprovalRequirement {
  readonly group: string;
  readonly count: number;
}

/** What the engine decided and why. */
export interface Decision {
  readonly decision: "allow" | "require_approval" | "deny";
  /** Present for `require_approval`: every entry must be met (sorted by group). */
  readonly approvals?: readonly ApprovalRequirement[];
  /** Rules whose outcome produced the decision, in policy order (empty for the default deny). */
  readonly matchedRules: readonly string[];
  /** One line per rule in scope, in policy order, then the decision's own line. */
  readonly reasons: readonly string[];
  readonly policyHash: string;
  readonly policyVersion: number;
}

interface CompiledVelocity {
  readonly windowSeconds: number;
  readonly maxCount: number | undefined;
  readonly maxAmount: bigint | undefined;
  /** Decimal text of `maxAmount`, formatted once per policy rather than once per decision. */
  readonly maxAmountText: string;
}

interface CompiledRule {
  readonly order: number;
  readonly rule: PolicyRule;
  readonly chains: ReadonlySet<string> | undefined;
  readonly assets: ReadonlySet<string> | undefined;
  readonly maxAmount: bigint | undefined;
  readonly velocity: readonly CompiledVelocity[];
  readonly chiefs: ReadonlySet<string> | undefined;
  readonly candidates: ReadonlySet<string> | undefined;
  readonly slates: ReadonlySet<string> | undefined;
  readonly bakers: ReadonlySet<string> | undefined;
  readonly days: ReadonlySet<number> | undefined;
  readonly hours: { readonly from: number; readonly to: number } | undefined;
  // Reason fragments that depend only on the rule: built once per policy, because a decision
  // against a large policy spends most of its time assembling reasons.
  readonly maxAmountText: string;
  readonly hoursText: string;
  readonly holdsReason: string;
  readonly failedPrefix: string;
  readonly otherwiseSuffix: string;
}

interface ActionBucket {
  readonly anyCustomer: CompiledRule[];
  readonly byCustomer: Map<string, CompiledRule[]>;
}

/** A validated policy with its hash and rules indexed by action and customer. */
export interface CompiledPolicy {
  readonly document: PolicyDocument;
  readonly hash: string;
  readonly buckets: ReadonlyMap<Action, ActionBucket>;
}

/** EVM addresses compare case-insensitively; base58 addresses are case-sensitive. */
export function normaliseAddress(address: string): string {
  return /^0x/i.test(address) ? address.toLowerCase() : address;
}

const toSet = (values: readonly string[] | undefined): ReadonlySet<string> | undefined =>
  values === undefined ? undefined : new Set(values.map(normaliseAddress));

/**
 * Validates a policy and indexes its rules by action and customer, so one decision looks only
 * at rules that can be in scope.
 *
 * @throws {PolicyValidationError} if the document is invalid.
 */
export function compilePolicy(input: unknown): CompiledPolicy {
  const document = validatePolicy(input);
  const buckets = new Map<Action, ActionBucket>();
  document.rules.forEach((rule, order) => {
    const c = rule.conditions;
    const maxAmount = c?.maxAmount === undefined ? undefined : BigInt(c.maxAmount);
    const compiled: CompiledRule = {
      order,
      rule,
      chains: rule.match.chains === undefined ? undefined : new Set(rule.match.chains),
      assets: rule.match.assets === undefined ? undefined : new Set(rule.match.assets),
      maxAmount,
      velocity: (c?.velocity ?? []).map((v) => {
        const limit = v.maxAmount === undefined ? undefined : BigInt(v.maxAmount);
        return {
          windowSeconds: v.windowSeconds,
          maxCount: v.maxCount,
          maxAmount: limit,
          maxAmountText: `${limit}`,
        };
      }),
      chiefs: toSet(c?.allowlists?.chiefs),
      candidates: toSet(c?.allowlists?.candidates),
      slates: toSet(c?.allowlists?.slates),
      bakers: toSet(c?.allowlists?.bakers),
      days:
        c?.timeWindow?.days === undefined
          ? undefined
          : new Set(c.timeWindow.days.map((d) => DAYS.indexOf(d))),
      hours:
        c?.timeWindow === undefined ? undefined : { from: c.timeWindow.fromHour, to: c.timeWindow.toHour },
      maxAmountText: `${maxAmount}`,
      hoursText: c?.timeWindow === undefined ? "" : `${c.timeWindow.fromHour}h-${c.timeWindow.toHour}h`,
      holdsReason: `${rule.id}: conditions hold -> ${describe(rule.outcome)}`,
      failedPrefix: rule.otherwise === undefined ? `${rule.id}: not applied (` : `${rule.id}: `,
      otherwiseSuffix: rule.otherwise === undefined ? ")" : ` -> ${describe(rule.otherwise)}`,
    };
    for (const action of rule.match.actions) {
      let bucket = buckets.get(action);
      if (bucket === undefined) {
        bucket = { anyCustomer: [], byCustomer: new Map() };
        buckets.set(action, bucket);
      }
      if (rule.match.customers === undefined) bucket.anyCustomer.push(compiled);
      else {
        for (const customer of new Set(rule.match.customers)) {
          const list = bucket.byCustomer.get(customer) ?? [];
          list.push(compiled);
          bucket.byCustomer.set(customer, list);
        }
      }
    }
  });
  return Object.freeze({ document, hash: policyHash(document), buckets });
}

/** Rules that can be in scope for this action and customer, in policy order. */
function candidateRules(policy: CompiledPolicy, action: Action, customer: string): CompiledRule[] {
  const bucket = policy.buckets.get(action);
  if (bucket === undefined) return [];
  const specific = bucket.byCustomer.get(customer) ?? [];
  if (specific.length === 0) return bucket.anyCustomer;
  if (bucket.anyCustomer.length === 0) return specific;
  const merged: CompiledRule[] = [];
  let i = 0;
  let j = 0;
  const a = bucket.anyCustomer;
  while (i < a.length || j < specific.length) {
    const x = a[i];
    const y = specific[j];
    if (y === undefined || (x !== undefined && x.order < y.order)) {
      merged.push(x as CompiledRule);
      i++;
    } else {
      merged.push(y);
      j++;
    }
  }
  return merged;
}

const CHIEF_ACTIONS: ReadonlySet<Action> = new Set(["lock", "free", "freeAll", "vote"]);

/**
 * Failure phrases joined with "; ", memoised phrase by phrase for one decision. Rules that fail
 * the same way share one string instead of each concatenating its own: a decision against a
 * large policy would otherwise allocate (and then garbage-collect) several strings per rule.
 */
class FailureList {
  #next: Map<string, FailureList> | undefined;
  #suffixed: Map<string, string> | undefined;

  constructor(readonly text: string) {}

  /** This list with `phrase` appended. */
  with(phrase: string): FailureList {
    this.#next ??= new Map();
    let next = this.#next.get(phrase);
    if (next === undefined) {
      next = new FailureList(this.text === "" ? phrase : `${this.text}; ${phrase}`);
      this.#next.set(phrase, next);
    }
    return next;
  }

  /** The joined text followed by `suffix`. */
  suffixed(suffix: string): string {
    this.#suffixed ??= new Map();
    let text = this.#suffixed.get(suffix);
    if (text === undefined) {
      text = `${this.text}${suffix}`;
      this.#suffixed.set(suffix, text);
    }
    return text;
  }
}

/** Phrases `${prefix}${key}` of one decision, each built on first use. */
class KeyedPhrases {
  readonly #byKey = new Map<string | number, string>();

  constructor(readonly prefix: string) {}

  get(key: string | number): string {
    let phrase = this.#byKey.get(key);
    if (phrase === undefined) {
      phrase = `${this.prefix}${key}`;
      this.#byKey.set(key, phrase);
    }
    return phrase;
  }
}

/** Totals of one velocity window as this intent would make them, computed once per decision. */
interface WindowFacts {
  readonly seconds: number;
  /** Past intents in the window plus this one. */
  readonly count: number;
  /** Past amount in the window plus this intent's; undefined when the intent has no amount. */
  readonly amount: bigint | undefined;
  countPhrases: KeyedPhrases | undefined;
  amountPhrases: KeyedPhrases | undefined;
}

/**
 * What every rule's conditions need from one intent, computed once per decision. The phrase
 * fields are filled by the first rule that fails that way and reused by the others, so a large
 * policy does not format the same addresses and numbers once per rule.
 */
interface IntentFacts {
  readonly intent: Intent;
  readonly timeMs: number;
  readonly day: number;
  readonly hour: number;
  readonly amount: bigint | undefined;
  readonly key: string;
  readonly history: VelocityIndex;
  readonly chiefAction: boolean;
  /** Normalised once here rather than once per rule. */
  readonly chief: string | undefined;
  readonly candidates: readonly string[] | undefined;
  readonly slate: string | undefined;
  readonly baker: string | null | undefined;
  readonly windows: Map<number, WindowFacts>;
  /** The empty failure list: a rule whose conditions all hold ends here. */
  readonly none: FailureList;
  amountPhrases: KeyedPhrases | undefined;
  chiefFailure: string | undefined;
  candidateFailures: readonly string[] | undefined;
  slateFailure: string | undefined;
  bakerFailure: string | undefined;
  dayFailure: string | undefined;
  hourPhrases: KeyedPhrases | undefined;
}

function windowFacts(facts: IntentFacts, seconds: number): WindowFacts {
  // Rules tend to share windows (an hour, a day): look each one up once per decision.
  let w = facts.windows.get(seconds);
  if (w === undefined) {
    const past = facts.history.totals(facts.key, facts.timeMs - seconds * 1000, facts.timeMs);
    w = {
      seconds,
      count: past.count + 1,
      amount: facts.amount === undefined ? undefined : past.amount + facts.amount,
      countPhrases: undefined,
      amountPhrases: undefined,
    };
    facts.windows.set(seconds, w);
  }
  return w;
}

/** Every failing condition of `rule` for the intent (`facts.none` if they all hold). */
function failedConditions(rule: CompiledRule, facts: IntentFacts): FailureList {
  const { intent, amount } = facts;
  let failures = facts.none;
  if (rule.maxAmount !== undefined) {
    if (amount === undefined) failures = failures.with("no amount given");
    else if (amount > rule.maxAmount) {
      facts.amountPhrases ??= new KeyedPhrases(`amount ${amount} above maxAmount `);
      failures = failures.with(facts.amountPhrases.get(rule.maxAmountText));
    }
  }
  if (rule.chiefs !== undefined && facts.chiefAction) {
    if (intent.chief === undefined) failures = failures.with("no chief given");
    else if (!rule.chiefs.has(facts.chief ?? "")) {
      facts.chiefFailure ??= `chief ${intent.chief} not allowlisted`;
      failures = failures.with(facts.chiefFailure);
    }
  }
  if (intent.action === "vote" && (rule.candidates !== undefined || rule.slates !== undefined)) {
    failures = voteTargetFailures(rule, facts, failures);
  }
  if (rule.bakers !== undefined && intent.action === "delegate") {
    if (intent.baker === undefined) failures = failures.with("no baker given");
    else if (intent.baker === null) failures = failures.with("removing the delegate is not allowlisted");
    else if (!rule.bakers.has(facts.baker ?? "")) {
      facts.bakerFailure ??= `baker ${intent.baker} not allowlisted`;
      failures = failures.with(facts.bakerFailure);
    }
  }
  if (rule.hours !== undefined) {
    const { day, hour } = facts;
    const { from, to } = rule.hours;
    const inHours = from < to ? hour >= from && hour < to : hour >= from || hour < to;
    if (rule.days !== undefined && !rule.days.has(day)) {
      facts.dayFailure ??= `${DAYS[day] ?? "?"} is outside the allowed days`;
      failures = failures.with(facts.dayFailure);
    } else if (!inHours) {
      facts.hourPhrases ??= new KeyedPhrases(`${hour}h UTC is outside `);
      failures = failures.with(facts.hourPhrases.get(rule.hoursText));
    }
  }
  for (const v of rule.velocity) {
    const w = windowFacts(facts, v.windowSeconds);
    if (v.maxCount !== undefined && w.count > v.maxCount) {
      w.countPhrases ??= new KeyedPhrases(`${w.count} ${intent.action} in ${w.seconds}s exceeds `);
      failures = failures.with(w.countPhrases.get(v.maxCount));
    }
    if (v.maxAmount !== undefined) {
      if (w.amount === undefined) failures = failures.with("no amount given for the velocity limit");
      else if (w.amount > v.maxAmount) {
        w.amountPhrases ??= new KeyedPhrases(`${w.amount} in ${w.seconds}s exceeds `);
        failures = failures.with(w.amountPhrases.get(v.maxAmountText));
      }
    }
  }
  return failures;
}

function voteTargetFailures(rule: CompiledRule, facts: IntentFacts, failures: FailureList): FailureList {
  const { candidates, slate } = facts;
  if (candidates !== undefined && slate !== undefined) {
    return failures.with("vote names both candidates and a slate");
  }
  if (slate !== undefined) {
    if (rule.slates?.has(slate) === true) return failures;
    facts.slateFailure ??= `slate ${slate} not allowlisted`;
    return failures.with(facts.slateFailure);
  }
  if (candidates === undefined || candidates.length === 0) {
    return failures.with("vote names no candidate (it would withdraw support)");
  }
  facts.candidateFailures ??= candidates.map((candidate) => `candidate ${candidate} not allowlisted`);
  const phrases = facts.candidateFailures;
  let out = failures;
  for (let i = 0; i < candidates.length; i++) {
    if (rule.candidates?.has(candidates[i] as string) !== true) out = out.with(phrases[i] as string);
  }
  return out;
}

function describe(outcome: RuleOutcome): string {
  return outcome.type === "require" ? `require ${outcome.count} of ${outcome.group}` : outcome.type;
}

/**
 * Decides one intent under a compiled policy. Pure: the same policy, intent and history always
 * give the same decision (the clock is the intent's own `at`).
 *
 * @param history past intents that count towards velocity (allowed or approved ones, not this
 *   intent), as an array or, for speed, a `VelocityIndex`.
 * @throws {IntentValidationError} if the intent (or a history entry) is malformed.
 * @example
 * const d = evaluate(compilePolicy(doc), intent, VelocityIndex.from(past));
 * if (d.decision === "require_approval") console.log(d.approvals);
 */
export function evaluate(
  policy: CompiledPolicy,
  intentInput: unknown,
  history: VelocityIndex | readonly unknown[] = [],
): Decision {
  const intent = validateIntent(intentInput);
  const index = history instanceof VelocityIndex ? history : VelocityIndex.from(history);
  const timeMs = Date.parse(intent.at);
  const date = new Date(timeMs);
  const facts: IntentFacts = {
    intent,
    timeMs,
    day: (date.getUTCDay() + 6) % 7,
    hour: date.getUTCHours(),
    amount: intent.amount === undefined ? undefined : BigInt(intent.amount),
    key: seriesKey(intent.customer, intent.action, intent.chain, intent.asset),
    history: index,
    chiefAction: CHIEF_ACTIONS.has(intent.action),
    chief: intent.chief === undefined ? undefined : normaliseAddress(intent.chief),
    candidates: intent.candidates?.map(normaliseAddress),
    slate: intent.slate === undefined ? undefined : normaliseAddress(intent.slate),
    baker: typeof intent.baker === "string" ? normaliseAddress(intent.baker) : intent.baker,
    windows: new Map(),
    none: new FailureList(""),
    amountPhrases: undefined,
    chiefFailure: undefined,
    candidateFailures: undefined,
    slateFailure: undefined,
    bakerFailure: undefined,
    dayFailure: undefined,
    hourPhrases: undefined,
  };
  const reasons: string[] = [];
  const deny: string[] = [];
  const requirers: string[] = [];
  const allowers: string[] = [];
  const required = new Map<string, number>();

  for (const rule of candidateRules(policy, intent.action, intent.customer)) {
    if (rule.chains !== undefined && !rule.chains.has(intent.chain)) continue;
    if (rule.assets !== undefined && !rule.assets.has(intent.asset)) continue;
    const failures = failedConditions(rule, facts);
    const id = rule.rule.id;
    let outcome: RuleOutcome | undefined;
    if (failures === facts.none) {
      outcome = rule.rule.outcome;
      reasons.push(rule.holdsReason);
    } else {
      // `otherwise` (or its absence: "not applied") decides; the fragments were built at compile.
      outcome = rule.rule.otherwise;
      reasons.push(`${rule.failedPrefix}${failures.suffixed(rule.otherwiseSuffix)}`);
    }
    if (outcome === undefined) continue;
    if (outcome.type === "deny") deny.push(id);
    else if (outcome.type === "allow") allowers.push(id);
    else {
      requirers.push(id);
      required.set(outcome.group, Math.max(required.get(outcome.group) ?? 0, outcome.count));
    }
  }

  const base = { policyHash: policy.hash, policyVersion: policy.document.version };
  if (deny.length > 0) {
    reasons.push(`deny: denied by ${deny.join(", ")}`);
    return { ...base, decision: "deny", matchedRules: deny, reasons };
  }
  if (requirers.length > 0) {
    const approvals = [...required.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([group, count]) => ({ group, count }));
    reasons.push(`require_approval: ${approvals.map((a) => `${a.count} of ${a.group}`).join(" and ")}`);
    return { ...base, decision: "require_approval", approvals, matchedRules: requirers, reasons };
  }
  if (allowers.length > 0) {
    reasons.push(`allow: allowed by ${allowers.join(", ")}`);
    return { ...base, decision: "allow", matchedRules: allowers, reasons };
  }
  reasons.push("deny: no rule allowed this intent (default deny)");
  return { ...base, decision: "deny", matchedRules: [], reasons };
}

/**
 * Convenience for one-off decisions: validates and compiles `policy`, then evaluates. Compile
 * once with `compilePolicy` when deciding many intents.
 *
 * @throws {PolicyValidationError} if the policy is invalid.
 * @throws {IntentValidationError} if the intent or history is malformed.
 */
export function evaluatePolicy(
  policy: unknown,
  intent: unknown,
  history: VelocityIndex | readonly unknown[] = [],
): Decision {
  return evaluate(compilePolicy(policy), intent, history);
}
