import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ACTIONS, compilePolicy, evaluate } from "../src/index.js";
import type { Intent, PolicyDocument, PolicyRule } from "../src/index.js";
import { clone, examplePolicy } from "./helpers.js";

const INSIDE = [
  "0xaa00000000000000000000000000000000000001",
  "0xaa00000000000000000000000000000000000002",
  "0xaa00000000000000000000000000000000000003",
];
const BAKERS = ["tz1VAwHF9ygWsGATtQDLZtjyUQbFc8pfiMjF", "tz1gTkH3RbU5w69qAornzUbNSzHjpNk7tJ1v"];
/** Addresses no generated policy ever lists. */
const OUTSIDE = ["0xbb00000000000000000000000000000000000001", "0xbb00000000000000000000000000000000000002"];
const OUTSIDE_BAKER = "tz1UJYHaPVRx7dQjxCMyqcipvRzRMALa43nG";
const CUSTOMERS = ["c1", "c2", "c3"];
const START = Date.parse("2026-11-23T00:00:00Z");
const WEEK_MS = 7 * 24 * 3600 * 1000;

const subset = <T>(values: readonly T[]): fc.Arbitrary<T[]> => fc.subarray([...values], { minLength: 1 });

const requireOutcome = fc.record({
  type: fc.constant("require" as const),
  group: fc.constantFrom("ops-approvers", "custody-officers"),
  count: fc.integer({ min: 1, max: 3 }),
});
const outcome = fc.oneof(
  fc.constant({ type: "allow" as const }),
  requireOutcome,
  fc.constant({ type: "deny" as const }),
);

/** Rules that always pass validation: every rule carries full bounds, so allow is legal. */
const ruleArb = (id: string): fc.Arbitrary<PolicyRule> =>
  fc
    .record({
      actions: subset(ACTIONS),
      customers: fc.option(subset(CUSTOMERS), { nil: undefined }),
      chains: fc.option(subset(["ethereum", "tezos"]), { nil: undefined }),
      maxAmount: fc.bigInt({ min: 0n, max: 10n ** 20n }),
      windowSeconds: fc.integer({ min: 1, max: 7 * 24 * 3600 }),
      maxCount: fc.integer({ min: 1, max: 12 }),
      chiefs: subset(INSIDE),
      candidates: subset(INSIDE),
      bakers: subset(BAKERS),
      hours: fc.option(
        fc
          .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 24 }))
          .filter(([a, b]) => a !== b % 24),
        { nil: undefined },
      ),
      outcome,
      otherwise: fc.option(fc.oneof(requireOutcome, fc.constant({ type: "deny" as const })), {
        nil: undefined,
      }),
    })
    .map((r) => ({
      id,
      match: {
        actions: r.actions,
        ...(r.customers ? { customers: r.customers } : {}),
        ...(r.chains ? { chains: r.chains } : {}),
      },
      conditions: {
        maxAmount: r.maxAmount.toString(),
        velocity: [{ windowSeconds: r.windowSeconds, maxCount: r.maxCount }],
        allowlists: { chiefs: r.chiefs, candidates: r.candidates, bakers: r.bakers },
        ...(r.hours ? { timeWindow: { fromHour: r.hours[0], toHour: r.hours[1] } } : {}),
      },
      outcome: r.outcome,
      ...(r.otherwise ? { otherwise: r.otherwise } : {}),
    }));

const policyArb: fc.Arbitrary<PolicyDocument> = fc
  .integer({ min: 0, max: 8 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => ruleArb(`r${i}`))))
  .map((rules) => {
    const doc = clone(examplePolicy());
    doc.rules = rules;
    return doc;
  });

const intentArb = (addresses: readonly string[], bakers: readonly string[]): fc.Arbitrary<Intent> =>
  fc
    .record({
      action: fc.constantFrom(...ACTIONS),
      customer: fc.constantFrom(...CUSTOMERS, "c9"),
      chain: fc.constantFrom("ethereum", "tezos"),
      amount: fc.option(fc.bigInt({ min: 0n, max: 10n ** 21n }), { nil: undefined }),
      chief: fc.constantFrom(...addresses),
      candidates: subset(addresses),
      baker: fc.constantFrom(...bakers),
      at: fc.integer({ min: START, max: START + WEEK_MS }),
    })
    .map((r) => ({
      action: r.action,
      customer: r.customer,
      chain: r.chain,
      asset: "mkr",
      ...(r.amount === undefined ? {} : { amount: r.amount.toString() }),
      chief: r.chief,
      candidates: r.candidates,
      baker: r.baker,
      at: new Date(r.at).toISOString(),
    }));

const anyIntent = intentArb([...INSIDE, ...OUTSIDE], [...BAKERS, OUTSIDE_BAKER]);
const historyArb = fc.array(anyIntent, { maxLength: 12 });

describe("evaluation properties", () => {
  it("is deterministic: same inputs, recompiled policy or reordered history give the same decision", () => {
    fc.assert(
      fc.property(policyArb, anyIntent, historyArb, (policy, intent, history) => {
        const a = evaluate(compilePolicy(policy), intent, history);
        const b = evaluate(compilePolicy(clone(policy)), clone(intent), [...history].reverse());
        assert.deepEqual(a, b);
      }),
      { numRuns: 300 },
    );
  });

  it("adding a deny rule never turns a deny into an allow, and can only move a decision to deny", () => {
    fc.assert(
      fc.property(
        policyArb,
        ruleArb("extra-deny"),
        anyIntent,
        historyArb,
        (policy, extra, intent, history) => {
          const before = evaluate(compilePolicy(policy), intent, history);
          const withDeny = clone(policy);
          // A deny rule: outcome deny and no otherwise (an otherwise would be a second rule).
          const { otherwise: _dropped, ...denyRule } = extra;
          withDeny.rules.push({ ...denyRule, outcome: { type: "deny" } });
          const after = evaluate(compilePolicy(withDeny), intent, history);
          if (before.decision === "deny") assert.equal(after.decision, "deny");
          assert.ok(after.decision === "deny" || after.decision === before.decision);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("an intent outside every allowlist never auto-allows", () => {
    const outside = intentArb(OUTSIDE, [OUTSIDE_BAKER]).filter((i) =>
      ["vote", "delegate", "lock", "free", "freeAll"].includes(i.action),
    );
    fc.assert(
      fc.property(policyArb, outside, historyArb, (policy, intent, history) => {
        assert.notEqual(evaluate(compilePolicy(policy), intent, history).decision, "allow");
      }),
      { numRuns: 400 },
    );
  });

  it("an allow always comes from an allow rule whose conditions hold, never from nothing", () => {
    fc.assert(
      fc.property(policyArb, anyIntent, historyArb, (policy, intent, history) => {
        const d = evaluate(compilePolicy(policy), intent, history);
        if (d.decision === "allow") {
          assert.ok(d.matchedRules.length > 0);
          for (const id of d.matchedRules) {
            assert.equal(policy.rules.find((r) => r.id === id)?.outcome.type, "allow");
          }
        }
        if (d.matchedRules.length === 0) assert.equal(d.decision, "deny");
      }),
      { numRuns: 300 },
    );
  });
});
