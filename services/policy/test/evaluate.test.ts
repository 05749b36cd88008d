import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  IntentValidationError,
  VelocityIndex,
  compilePolicy,
  evaluate,
  evaluatePolicy,
} from "../src/index.js";
import type { Intent, PolicyDocument, PolicyRule } from "../src/index.js";
import {
  BAKER,
  CANDIDATE,
  CHIEF,
  MKR,
  NEW_BAKER,
  SLATE,
  clone,
  delegate,
  examplePolicy,
  lock,
  pastCopies,
  vote,
} from "./helpers.js";

const example = compilePolicy(examplePolicy());
const decide = (intent: Intent, history: readonly Intent[] = []): string =>
  evaluate(example, intent, history).decision;

/** A minimal policy with the given rules and two groups (ops: 3 people, officers: 3 people). */
function policyWith(rules: PolicyRule[]): PolicyDocument {
  const doc = clone(examplePolicy());
  doc.rules = rules;
  return doc;
}

const allowVotes: PolicyRule = {
  id: "allow-votes",
  match: { actions: ["vote"] },
  conditions: {
    allowlists: { chiefs: [CHIEF], candidates: [CANDIDATE] },
    velocity: [{ windowSeconds: 3600, maxCount: 100 }],
  },
  outcome: { type: "allow" },
};

describe("evaluation of the example policy", () => {
  it("auto-approves routine votes, lock/free and delegation", () => {
    assert.equal(decide(vote()), "allow");
    assert.equal(decide(vote({ candidates: undefined, slate: SLATE })), "allow");
    assert.equal(decide(lock(10n * MKR)), "allow");
    assert.equal(decide(lock(10n * MKR, { action: "freeAll" })), "allow");
    assert.equal(decide(delegate(BAKER)), "allow");
  });

  it("compares chief and candidate addresses case-insensitively, bakers exactly", () => {
    assert.equal(decide(vote({ chief: CHIEF.toUpperCase().replace("0X", "0x") })), "allow");
    assert.equal(decide(vote({ candidates: [CANDIDATE.toUpperCase().replace("0X", "0x")] })), "allow");
    assert.equal(decide(delegate(BAKER.toLowerCase())), "require_approval");
  });

  it("escalates every out-of-pattern intent to two operators", () => {
    const cases: [string, Intent][] = [
      ["unknown candidate", vote({ candidates: [CANDIDATE, "0x5e11000000000000000000000000000000000099"] })],
      ["unknown chief", vote({ chief: "0xc41ef00000000000000000000000000000000002" })],
      ["unknown slate", vote({ candidates: undefined, slate: `0x${"ab".repeat(32)}` })],
      ["empty vote", vote({ candidates: [] })],
      ["candidates and slate", vote({ slate: SLATE })],
      ["new baker", delegate(NEW_BAKER)],
      ["undelegation", delegate(null)],
      ["amount above limit", lock(1000n * MKR + 1n)],
      ["lock without amount", { ...lock(1n), amount: undefined }],
      ["outside desk hours", lock(MKR, { at: "2026-11-25T20:00:00Z" })],
      ["weekend", lock(MKR, { at: "2026-11-28T12:00:00Z" })],
      ["origination", { ...lock(0n), action: "originate", amount: undefined, chief: undefined }],
    ];
    for (const [name, intent] of cases) {
      const d = evaluate(example, intent, []);
      assert.equal(d.decision, "require_approval", name);
      assert.deepEqual(d.approvals, [{ group: "ops-approvers", count: 2 }], name);
    }
  });

  it("always needs two custody officers for a withdrawal preparation", () => {
    const d = evaluate(example, { ...lock(1n), action: "withdrawal-preparation", chief: undefined }, []);
    assert.equal(d.decision, "require_approval");
    assert.deepEqual(d.approvals, [{ group: "custody-officers", count: 2 }]);
    assert.deepEqual(d.matchedRules, ["withdrawal-preparation"]);
  });

  it("denies frozen customers whatever else matches", () => {
    const d = evaluate(example, vote({ customer: "cust-frozen-0001" }), []);
    assert.equal(d.decision, "deny");
    assert.deepEqual(d.matchedRules, ["frozen-customers"]);
  });

  it("denies by default what no rule covers (other chains or assets)", () => {
    const d = evaluate(example, vote({ chain: "polygon" }), []);
    assert.equal(d.decision, "deny");
    assert.deepEqual(d.matchedRules, []);
    assert.match(d.reasons.at(-1) ?? "", /default deny/);
    assert.equal(decide(delegate(BAKER, { asset: "usdt" })), "deny");
  });

  it("names the policy version and hash it decided under", () => {
    const d = evaluate(example, vote(), []);
    assert.equal(d.policyHash, example.hash);
    assert.equal(d.policyVersion, 1);
  });
});

describe("precedence", () => {
  const deny: PolicyRule = {
    id: "deny-c1",
    match: { actions: ["vote"], customers: ["cust-0001"] },
    outcome: { type: "deny" },
  };
  const ops2: PolicyRule = {
    id: "ops-2",
    match: { actions: ["vote"] },
    outcome: { type: "require", group: "ops-approvers", count: 2 },
  };
  const ops3: PolicyRule = {
    id: "ops-3",
    match: { actions: ["vote"] },
    outcome: { type: "require", group: "ops-approvers", count: 3 },
  };
  const officers1: PolicyRule = {
    id: "officers-1",
    match: { actions: ["vote"] },
    outcome: { type: "require", group: "custody-officers", count: 1 },
  };

  it("a matching deny wins over require and allow, in any order", () => {
    for (const rules of [
      [allowVotes, ops2, deny],
      [deny, ops2, allowVotes],
    ]) {
      const d = evaluatePolicy(policyWith(rules), vote(), []);
      assert.equal(d.decision, "deny");
      assert.deepEqual(d.matchedRules, ["deny-c1"]);
    }
    assert.equal(
      evaluatePolicy(policyWith([allowVotes, deny]), vote({ customer: "cust-0002" })).decision,
      "allow",
    );
  });

  it("require wins over allow; the largest count per group applies and all groups are needed", () => {
    const d = evaluatePolicy(policyWith([allowVotes, ops3, officers1, ops2]), vote(), []);
    assert.equal(d.decision, "require_approval");
    assert.deepEqual(d.approvals, [
      { group: "custody-officers", count: 1 },
      { group: "ops-approvers", count: 3 },
    ]);
    assert.deepEqual(d.matchedRules, ["ops-3", "officers-1", "ops-2"]);
  });

  it("allows only when an allow rule's conditions all hold", () => {
    assert.equal(evaluatePolicy(policyWith([allowVotes]), vote()).decision, "allow");
    const d = evaluatePolicy(policyWith([allowVotes]), vote({ candidates: ["0xdead"] }));
    assert.equal(d.decision, "deny");
    assert.match(d.reasons[0] ?? "", /allow-votes: not applied \(candidate 0xdead not allowlisted\)/);
  });

  it("a failing condition yields otherwise (require or deny)", () => {
    const denyOtherwise: PolicyRule = { ...allowVotes, otherwise: { type: "deny" } };
    assert.equal(
      evaluatePolicy(policyWith([denyOtherwise]), vote({ candidates: ["0xdead"] })).decision,
      "deny",
    );
  });

  it("customer-scoped and global rules are both consulted, in policy order", () => {
    const scoped: PolicyRule = {
      ...ops2,
      id: "scoped",
      match: { actions: ["vote"], customers: ["cust-0001"] },
    };
    const d = evaluatePolicy(policyWith([allowVotes, scoped]), vote(), []);
    assert.deepEqual(
      d.reasons.slice(0, 2).map((r) => r.split(":")[0]),
      ["allow-votes", "scoped"],
    );
    assert.equal(d.decision, "require_approval");
    assert.equal(
      evaluatePolicy(policyWith([allowVotes, scoped]), vote({ customer: "cust-0009" })).decision,
      "allow",
    );
  });
});

describe("boundary triplets", () => {
  it("amount per action: below, at, above maxAmount", () => {
    assert.equal(decide(lock(1000n * MKR - 1n)), "allow");
    assert.equal(decide(lock(1000n * MKR)), "allow");
    assert.equal(decide(lock(1000n * MKR + 1n)), "require_approval");
  });

  it("velocity count per rolling hour: 19, 20, 21 votes", () => {
    const past = (n: number): Intent[] => pastCopies(vote(), n, 60);
    assert.equal(decide(vote(), past(18)), "allow");
    assert.equal(decide(vote(), past(19)), "allow");
    assert.equal(decide(vote(), past(20)), "require_approval");
  });

  it("velocity window edges: an intent exactly one window old no longer counts", () => {
    const atEdge = pastCopies(vote(), 20, 0, 3600); // all exactly one hour old: outside (start is open)
    assert.equal(decide(vote(), atEdge), "allow");
    const justInside = pastCopies(vote(), 20, 0, 3599);
    assert.equal(decide(vote(), justInside), "require_approval");
  });

  it("velocity counts per customer, action, chain and asset only", () => {
    const others = [...pastCopies(vote({ customer: "cust-0002" }), 30, 10), ...pastCopies(lock(MKR), 5, 10)];
    assert.equal(decide(vote(), others), "allow");
  });

  it("velocity amount per day: below, at, above 10,000 MKR", () => {
    const history = pastCopies(lock(1000n * MKR), 9, 300, 3600);
    assert.equal(decide(lock(1000n * MKR - 1n), history), "allow");
    assert.equal(decide(lock(1000n * MKR), history), "allow");
    const more = [...history, lock(1n, { at: "2026-11-25T11:59:00Z" })];
    assert.equal(decide(lock(1000n * MKR), more), "require_approval");
  });

  it("time window: 05:59:59, 06:00, 19:59:59 inside edges and 20:00 outside (UTC)", () => {
    assert.equal(decide(lock(MKR, { at: "2026-11-25T05:59:59Z" })), "require_approval");
    assert.equal(decide(lock(MKR, { at: "2026-11-25T06:00:00Z" })), "allow");
    assert.equal(decide(lock(MKR, { at: "2026-11-25T19:59:59.999Z" })), "allow");
    assert.equal(decide(lock(MKR, { at: "2026-11-25T20:00:00Z" })), "require_approval");
  });

  it("time window days: Friday 19h, Saturday 00h and 12h (UTC)", () => {
    assert.equal(decide(lock(MKR, { at: "2026-11-27T19:00:00Z" })), "allow");
    assert.equal(decide(lock(MKR, { at: "2026-11-28T00:00:00Z" })), "require_approval");
    assert.equal(decide(lock(MKR, { at: "2026-11-28T12:00:00Z" })), "require_approval");
  });

  it("time windows that wrap midnight (22h-6h)", () => {
    const night: PolicyRule = {
      ...allowVotes,
      id: "night",
      conditions: { ...allowVotes.conditions, timeWindow: { fromHour: 22, toHour: 6 } },
    };
    const p = compilePolicy(policyWith([night]));
    const at = (t: string): string => evaluate(p, vote({ at: t }), []).decision;
    assert.deepEqual(
      ["21:59:59", "22:00:00", "23:59:59", "00:00:00", "05:59:59", "06:00:00"].map((t) =>
        at(`2026-11-25T${t}Z`),
      ),
      ["deny", "allow", "allow", "allow", "allow", "deny"],
    );
  });
});

describe("intents and history", () => {
  it("refuses malformed intents, naming the field", () => {
    const bad: [unknown, RegExp][] = [
      [{ ...vote(), action: "transfer" }, /^action:/],
      [{ ...lock(1n), amount: "-1" }, /^amount:/],
      [{ ...lock(1n), amount: "1.5" }, /^amount:/],
      [{ ...vote(), at: "2026-11-25 12:00" }, /^at:/],
      [{ ...vote(), at: "2026-02-30T12:00:00Z" }, /^at: not a real calendar date/],
      [{ ...vote(), extra: 1 }, /^extra: unknown field/],
      [{ ...vote(), customer: "" }, /^customer:/],
      ["vote", /^intent:/],
    ];
    for (const [intent, message] of bad) {
      assert.throws(
        () => evaluate(example, intent, []),
        (e: unknown) =>
          e instanceof IntentValidationError && e.code === "POLICY_INTENT_INVALID" && message.test(e.message),
        String(message),
      );
    }
  });

  it("names the bad history entry", () => {
    assert.throws(
      () => evaluate(example, vote(), [vote(), { ...vote(), at: "yesterday" }]),
      (e: unknown) => e instanceof IntentValidationError && e.path === "history[1].at",
    );
  });

  it("gives the same answer with an array or a prebuilt index, in any insertion order", () => {
    const history = pastCopies(vote(), 19, 60);
    const shuffled = [...history].reverse();
    const index = new VelocityIndex();
    for (const h of shuffled) index.add(h);
    const a = evaluate(example, vote(), history);
    const b = evaluate(example, vote(), index);
    assert.deepEqual(a, b);
    assert.equal(index.size, 19);
  });

  it("ignores history after the intent's own time", () => {
    const future = pastCopies(vote({ at: "2026-11-25T12:30:00Z" }), 30, 1);
    assert.equal(decide(vote(), future), "allow");
  });

  it("sums amounts exactly with bigints beyond 2^53", () => {
    const index = VelocityIndex.from([lock(2n ** 60n), lock(2n ** 60n + 1n)]);
    const key = "cust-0001\u0000lock\u0000ethereum\u0000mkr";
    const t = Date.parse(lock(1n).at);
    assert.deepEqual(index.totals(key, t - 1000, t), { count: 2, amount: 2n ** 61n + 1n });
  });
});
