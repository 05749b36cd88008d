/**
 * `npm run bench:policy` (tsx bench/policy.ts): policy engine latency and how often people are
 * needed. Writes bench/results/policy.json.
 *
 * - decisionP99Ms: p99 of one `evaluate` (intent validation, rule lookup, conditions, velocity
 *   against an indexed history) under a generated policy of 1,000 rules, over many decisions.
 *   `decisionP99MsAllRulesInScope` is the adversarial case where all 1,000 rules apply to the
 *   same action and customer (no index can help; every rule is checked).
 * - humanApprovalShare: share of 10,000 simulated routine governance and staking intents in one
 *   day that the example policy (docs/policy/example-policy.json) sends to a human; the same
 *   simulation injects out-of-pattern intents and counts how many were escalated or denied.
 *
 * Everything is generated from a fixed seed (BENCH_POLICY_SEED), so runs are reproducible.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { VelocityIndex, compilePolicy, evaluate } from "../services/policy/src/index.js";
import type { CompiledPolicy, Intent, PolicyDocument, PolicyRule } from "../services/policy/src/index.js";
import { writeResult } from "./lib/results.js";

const SEED = Number(process.env["BENCH_POLICY_SEED"] ?? 20261125);
const DECISIONS = Number(process.env["BENCH_POLICY_DECISIONS"] ?? 20_000);
const ROUTINE = 10_000;
const DAY = Date.parse("2026-11-25T00:00:00Z"); // a Wednesday
const HOUR_MS = 3600_000;
const MKR = 10n ** 18n;

/** mulberry32: small, fast, seedable; statistical quality is ample for workload generation. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(SEED);
const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
const iso = (ms: number): string => new Date(Math.floor(ms)).toISOString();
const hex40 = (prefix: string, n: number): string =>
  `0x${prefix}${n.toString(16).padStart(40 - prefix.length, "0")}`;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;
}

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

function timeDecisions(
  policy: CompiledPolicy,
  intents: readonly Intent[],
  index: VelocityIndex,
  decisions: number,
) {
  for (let i = 0; i < Math.min(2_000, decisions); i++) evaluate(policy, intents[i % intents.length], index); // warm-up
  const times: number[] = [];
  for (let i = 0; i < decisions; i++) {
    const intent = intents[i % intents.length];
    const t0 = performance.now();
    evaluate(policy, intent, index);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return {
    p50: round4(percentile(times, 0.5)),
    p99: round4(percentile(times, 0.99)),
    max: round4(times.at(-1) ?? NaN),
  };
}

const examplePath = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "docs",
  "policy",
  "example-policy.json",
);
const example = JSON.parse(readFileSync(examplePath, "utf8")) as PolicyDocument;

// ---- Part 1: latency under a generated 1,000-rule policy -------------------------------------

const CHIEFS = Array.from({ length: 5 }, (_, i) => hex40("c41ef", i + 1));
const SPELLS = Array.from({ length: 50 }, (_, i) => hex40("5e11", i + 1));
const GEN_CUSTOMERS = Array.from({ length: 900 }, (_, i) => `cust-${String(i).padStart(4, "0")}`);

function generatedRule(i: number): PolicyRule {
  const velocity = [
    { windowSeconds: 3600, maxCount: 10 + (i % 20) },
    { windowSeconds: 86400, maxCount: 100 + (i % 50), maxAmount: (50_000n * MKR).toString() },
  ];
  const lists = { chiefs: [pick(CHIEFS), pick(CHIEFS)], candidates: SPELLS.slice(i % 40, (i % 40) + 10) };
  if (i < 900) {
    // One rule per customer: its own chiefs, spells, amounts and rates for vote/lock/free.
    return {
      id: `customer-${i}`,
      match: {
        actions: ["vote", "lock", "free", "freeAll"],
        customers: [GEN_CUSTOMERS[i] as string],
        chains: ["ethereum"],
        assets: ["mkr"],
      },
      conditions: {
        maxAmount: (BigInt(100 + i) * MKR).toString(),
        velocity,
        allowlists: lists,
        timeWindow: { fromHour: 4, toHour: 22 },
      },
      outcome: { type: "allow" },
      otherwise: { type: "require", group: "ops-approvers", count: 2 },
    };
  }
  if (i < 990) {
    // Global rules: chain/asset specific escalations and customer-group limits.
    return {
      id: `global-${i}`,
      match: {
        actions: [pick(["vote", "lock", "free", "delegate"] as const)],
        customers: GEN_CUSTOMERS.slice((i - 900) * 10, (i - 900) * 10 + 10),
        chains: ["ethereum", "tezos"],
      },
      conditions: { maxAmount: (BigInt(i) * 10n * MKR).toString(), velocity },
      outcome: { type: "require", group: "ops-approvers", count: 1 },
    };
  }
  return {
    id: `deny-${i}`,
    match: { actions: ["vote", "delegate"], customers: [`frozen-${i}`] },
    outcome: { type: "deny" },
  };
}

function thousandRulePolicy(allInScope: boolean): CompiledPolicy {
  const doc = structuredClone(example);
  doc.rules = Array.from({ length: 1000 }, (_, i) => {
    const rule = generatedRule(i);
    if (!allInScope) return rule;
    // Every rule applies to every vote of every customer: the worst case for any index.
    return {
      ...rule,
      match: { actions: ["vote"] },
      outcome:
        rule.outcome.type === "deny" ? { type: "require", group: "ops-approvers", count: 1 } : rule.outcome,
    };
  });
  return compilePolicy(doc);
}

function generatedIntent(at: number): Intent {
  const customer = pick(GEN_CUSTOMERS);
  const action = pick(["vote", "vote", "vote", "lock", "free"] as const);
  const base = { customer, chain: "ethereum", asset: "mkr", chief: pick(CHIEFS), at: iso(at) };
  return action === "vote"
    ? { ...base, action, candidates: [pick(SPELLS), pick(SPELLS)] }
    : { ...base, action, amount: (BigInt(1 + Math.floor(random() * 500)) * MKR).toString() };
}

const genHistory = new VelocityIndex();
for (let i = 0; i < 50_000; i++)
  genHistory.add(generatedIntent(DAY - 86_400_000 + (i / 50_000) * 86_400_000));
const genIntents = Array.from({ length: 5_000 }, () => generatedIntent(DAY + random() * 3_600_000));
const indexed = timeDecisions(thousandRulePolicy(false), genIntents, genHistory, DECISIONS);
const ALL_IN_SCOPE_DECISIONS = 2_000;
const allInScope = timeDecisions(thousandRulePolicy(true), genIntents, genHistory, ALL_IN_SCOPE_DECISIONS);

// ---- Part 2: one simulated day under the example policy --------------------------------------

const EX_CHIEF = "0xc41ef00000000000000000000000000000000001";
const EX_SPELLS = Array.from({ length: 6 }, (_, i) => hex40("5e11", i + 1));
const EX_SLATE = `0x51a7e${"0".repeat(58)}1`;
const EX_BAKERS = [
  "tz1VAwHF9ygWsGATtQDLZtjyUQbFc8pfiMjF",
  "tz1gTkH3RbU5w69qAornzUbNSzHjpNk7tJ1v",
  "tz1SXLh6ERyE5xeHGkqAcTKFGbtJkj4ZxbUm",
];
const NEW_BAKER = "tz1UJYHaPVRx7dQjxCMyqcipvRzRMALa43nG";
const ETH_CUSTOMERS = Array.from({ length: 600 }, (_, i) => `eth-${String(i).padStart(4, "0")}`);
const TEZ_CUSTOMERS = Array.from({ length: 400 }, (_, i) => `tez-${String(i).padStart(4, "0")}`);

/** Customer activity is skewed: customer k has weight 1/sqrt(k+1). */
const ethWeights = ETH_CUSTOMERS.map((_, k) => 1 / Math.sqrt(k + 1));
const ethTotal = ethWeights.reduce((a, b) => a + b, 0);
function skewedEthCustomer(): string {
  let r = random() * ethTotal;
  for (let k = 0; k < ethWeights.length; k++) {
    r -= ethWeights[k] as number;
    if (r <= 0) return ETH_CUSTOMERS[k] as string;
  }
  return ETH_CUSTOMERS[0] as string;
}
/** Log-uniform between 1 and 800 MKR, in 0.001 MKR steps. */
const routineAmount = (): bigint =>
  BigInt(Math.round(Math.exp(random() * Math.log(800)) * 1000)) * 10n ** 15n;
const dayTime = (): number => DAY + random() * 24 * HOUR_MS;
const deskTime = (): number => DAY + (6 + random() * 14) * HOUR_MS;

interface SimIntent {
  readonly intent: Intent;
  readonly kind: "routine" | "burst-within-limit" | "out-of-pattern";
  readonly category: string;
}

const sim: SimIntent[] = [];
const routine = (intent: Intent, category: string): void =>
  void sim.push({ intent, kind: "routine", category });
const odd = (intent: Intent, category: string): void =>
  void sim.push({ intent, kind: "out-of-pattern", category });
const ethVote = (at: number, extra: Partial<Intent> = {}): Intent => {
  const n = 1 + Math.floor(random() * 3);
  const votes =
    random() < 0.1 ? { slate: EX_SLATE } : { candidates: Array.from({ length: n }, () => pick(EX_SPELLS)) };
  return {
    action: "vote",
    customer: skewedEthCustomer(),
    chain: "ethereum",
    asset: "mkr",
    chief: EX_CHIEF,
    ...votes,
    at: iso(at),
    ...extra,
  };
};
const ethLockFree = (at: number, amount: bigint, extra: Partial<Intent> = {}): Intent => {
  const r = random();
  const action = r < 0.5 ? "lock" : r < 0.9 ? "free" : "freeAll";
  return {
    action,
    customer: skewedEthCustomer(),
    chain: "ethereum",
    asset: "mkr",
    chief: EX_CHIEF,
    amount: amount.toString(),
    at: iso(at),
    ...extra,
  };
};
const tezDelegate = (at: number, baker: string | null): Intent => ({
  action: "delegate",
  customer: pick(TEZ_CUSTOMERS),
  chain: "tezos",
  asset: "xtz",
  baker,
  at: iso(at),
});

const MIX = {
  vote: Math.round(ROUTINE * 0.7),
  lockFree: Math.round(ROUTINE * 0.22),
  delegate: Math.round(ROUTINE * 0.08),
};
for (let i = 0; i < MIX.vote; i++) routine(ethVote(dayTime()), "vote");
for (let i = 0; i < MIX.lockFree; i++) routine(ethLockFree(deskTime(), routineAmount()), "lock/free/freeAll");
for (let i = 0; i < MIX.delegate; i++) routine(tezDelegate(dayTime(), pick(EX_BAKERS)), "delegate");

const PER_CATEGORY = 20;
for (let i = 0; i < PER_CATEGORY; i++) {
  odd(
    ethVote(dayTime(), { candidates: [pick(EX_SPELLS), hex40("bad", i + 1)], slate: undefined }),
    "unknown candidate",
  );
  odd(ethVote(dayTime(), { chief: hex40("c41ef", 99) }), "unknown chief");
  odd(
    ethVote(dayTime(), { candidates: undefined, slate: `0x${"ee".repeat(31)}${String(i).padStart(2, "0")}` }),
    "unknown slate",
  );
  odd(ethVote(dayTime(), { candidates: [], slate: undefined }), "empty vote (withdraws support)");
  odd(tezDelegate(dayTime(), NEW_BAKER), "new baker");
  odd(tezDelegate(dayTime(), null), "undelegation");
  odd(
    ethLockFree(deskTime(), 1000n * MKR + 1n + BigInt(Math.floor(random() * 4000)) * MKR),
    "amount above routine limit",
  );
  odd(
    ethLockFree(
      DAY + (20 + random() * 10) * HOUR_MS - (random() < 0.5 ? 0 : 24 * HOUR_MS) + 0,
      routineAmount(),
    ),
    "outside desk hours",
  );
  odd(
    { ...ethLockFree(deskTime(), routineAmount()), action: "withdrawal-preparation", chief: undefined },
    "withdrawal preparation",
  );
  odd(
    { action: "originate", customer: `new-${i}`, chain: "ethereum", asset: "mkr", at: iso(dayTime()) },
    "origination",
  );
  odd(ethVote(dayTime(), { customer: "cust-frozen-0001" }), "frozen customer");
}
// Bursts: 5 customers with no other traffic each fire 30 votes within 10 minutes. The first 20
// of each burst are inside the hourly limit (allowed by design); the last 10 are out of pattern.
for (let b = 0; b < 5; b++) {
  const start = DAY + (2 + b * 4) * HOUR_MS;
  for (let k = 0; k < 30; k++) {
    const intent = ethVote(start + k * 20_000, { customer: `burst-${b}` });
    sim.push({
      intent,
      kind: k < 20 ? "burst-within-limit" : "out-of-pattern",
      category: "burst above velocity",
    });
  }
}
sim.sort((a, b) => Date.parse(a.intent.at) - Date.parse(b.intent.at));

const examplePolicy = compilePolicy(example);
const history = new VelocityIndex();
const counts = {
  routine: 0,
  routineNeedingHuman: 0,
  routineDenied: 0,
  burstWithinLimit: 0,
  burstWithinLimitAllowed: 0,
};
const oop = {
  injected: 0,
  requiredApproval: 0,
  denied: 0,
  allowed: 0,
  byCategory: {} as Record<string, { injected: number; allowed: number }>,
};
const humanReasons: Record<string, number> = {};
const simTimes: number[] = [];
for (const { intent, kind, category } of sim) {
  const t0 = performance.now();
  const d = evaluate(examplePolicy, intent, history);
  simTimes.push(performance.now() - t0);
  if (kind === "out-of-pattern") {
    oop.injected++;
    const c = (oop.byCategory[category] ??= { injected: 0, allowed: 0 });
    c.injected++;
    if (d.decision === "allow") {
      oop.allowed++;
      c.allowed++;
    } else if (d.decision === "deny") oop.denied++;
    else oop.requiredApproval++;
    // Assumed rejected by the approvers: it never executes, so it is not history.
    continue;
  }
  if (kind === "burst-within-limit") {
    counts.burstWithinLimit++;
    if (d.decision === "allow") counts.burstWithinLimitAllowed++;
  } else {
    counts.routine++;
    if (d.decision === "require_approval") {
      counts.routineNeedingHuman++;
      const why = (d.reasons[0] ?? "")
        .replace(/^[^:]*: /, "")
        .replace(/[0-9]+/g, "N")
        .slice(0, 80);
      humanReasons[why] = (humanReasons[why] ?? 0) + 1;
    }
    if (d.decision === "deny") counts.routineDenied++;
  }
  if (d.decision !== "deny") history.add(intent); // allowed, or approved by people and executed
}
simTimes.sort((a, b) => a - b);

const humanApprovalShare = counts.routineNeedingHuman / counts.routine;
const result = {
  decisionP99Ms: indexed.p99,
  humanApprovalShare: Math.round(humanApprovalShare * 1e6) / 1e6,
  outOfPatternInjected: oop.injected,
  outOfPatternEscalatedOrDenied: oop.requiredApproval + oop.denied,
  targets: { decisionP99Ms: 1, humanApprovalShare: 0.01, outOfPatternAllowed: 0 },
  met: indexed.p99 <= 1 && humanApprovalShare <= 0.01 && oop.allowed === 0,
  latency: {
    generatedPolicyRules: 1000,
    decisions: DECISIONS,
    historyEntries: genHistory.size,
    indexed,
    decisionP99MsAllRulesInScope: allInScope.p99,
    allRulesInScopeDecisions: ALL_IN_SCOPE_DECISIONS,
    allRulesInScope: allInScope,
    examplePolicySimulation: {
      p50: round4(percentile(simTimes, 0.5)),
      p99: round4(percentile(simTimes, 0.99)),
    },
  },
  simulation: {
    routine: counts.routine,
    routineNeedingHuman: counts.routineNeedingHuman,
    routineDenied: counts.routineDenied,
    humanReasons,
    burstWithinLimit: counts.burstWithinLimit,
    burstWithinLimitAllowed: counts.burstWithinLimitAllowed,
    outOfPattern: oop,
  },
  meta: {
    seed: SEED,
    node: process.version,
    machine: "shared 2-core VM; latency figures include noise from other processes",
    latencyWorkload:
      "1,000 generated rules: 900 customer-specific allow rules (vote/lock/free/freeAll; chiefs, 10 candidates, maxAmount, hourly and daily velocity, 04-22h window, otherwise require), 90 global require rules over groups of 10 customers, 10 deny rules. 50,000 past intents in the velocity index; intents are 60% votes, 40% lock/free over 900 customers. Time per call of evaluate(), which includes validating the intent with zod. allRulesInScope makes every rule match every vote (1,000 rules checked per decision).",
    simulationWorkload:
      "One Wednesday (UTC) under docs/policy/example-policy.json. 10,000 routine intents: 7,000 votes (600 Ethereum customers, activity weight 1/sqrt(rank), uniform over 24h, 1-3 allowlisted spells or the allowlisted slate 10% of the time), 2,200 lock/free/freeAll (same customers, desk hours 06-20h UTC, log-uniform 1-800 MKR), 800 Tezos delegations to allowlisted bakers (400 customers, uniform). Routine means: what an operations desk does daily, generated inside the allowlists the policy was written for; the policy's velocity limits were chosen above this traffic, as an operator would set them from observed volumes. Intents that need a human are assumed approved and count towards velocity afterwards; denied ones do not.",
    outOfPatternWorkload:
      "20 each of: unknown candidate, unknown chief, unknown slate, empty vote, new baker, undelegation, amount above the 1,000 MKR routine limit, lock/free outside desk hours, withdrawal preparation, origination, frozen customer; plus 5 bursts of 30 votes in 10 minutes by otherwise silent customers, whose last 10 votes exceed the hourly limit of 20 (the first 20 are counted separately as burstWithinLimit). Out-of-pattern intents are assumed rejected and never enter the history.",
    notModelled:
      "Real customer behaviour (this is synthetic), multi-day velocity, clock skew, approval latency, the cost of the API and signer around the decision.",
  },
};
const path = writeResult("policy", result);
console.log(
  JSON.stringify({
    decisionP99Ms: result.decisionP99Ms,
    humanApprovalShare: result.humanApprovalShare,
    outOfPattern: `${result.outOfPatternEscalatedOrDenied}/${result.outOfPatternInjected}`,
    allRulesInScopeP99: allInScope.p99,
    met: result.met,
  }),
);
console.log(`wrote ${path}`);
