import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  PolicyValidationError,
  canonicalJson,
  parsePolicyJson,
  policyJsonSchema,
  validatePolicy,
} from "../src/index.js";
import type { PolicyDocument } from "../src/index.js";
import { REPO_ROOT, approverPublic, clone, examplePolicy } from "./helpers.js";

/** Asserts that `mutate(example)` is refused with an issue at `path` whose message matches. */
function refuses(mutate: (p: PolicyDocument) => void, path: string, message: RegExp): void {
  const doc = clone(examplePolicy());
  mutate(doc);
  assert.throws(
    () => validatePolicy(doc),
    (err: unknown) => {
      assert.ok(err instanceof PolicyValidationError, String(err));
      assert.equal(err.code, "POLICY_INVALID");
      const hit = err.issues.find((i) => i.path === path);
      assert.ok(hit, `no issue at ${path}: ${JSON.stringify(err.issues)}`);
      assert.match(hit.message, message);
      return true;
    },
  );
}

const rule = (p: PolicyDocument, id: string): PolicyDocument["rules"][number] => {
  const found = p.rules.find((r) => r.id === id);
  assert.ok(found);
  return found;
};

describe("policy documents", () => {
  it("accepts the example policy and returns it frozen", () => {
    const doc = validatePolicy(examplePolicy());
    assert.ok(Object.isFrozen(doc) && Object.isFrozen(doc.rules[0]));
    assert.equal(doc.rules.length, 6);
  });

  it("derives the example approver keys from the documented seeds", () => {
    const doc = examplePolicy();
    for (const group of Object.values(doc.approverGroups)) {
      for (const a of group.approvers) assert.deepEqual(a.publicKeys, [approverPublic(a.id)]);
    }
  });

  it("publishes a JSON Schema identical to the one generated from the validator", () => {
    const published: unknown = JSON.parse(
      readFileSync(join(REPO_ROOT, "docs", "policy", "policy.schema.json"), "utf8"),
    );
    assert.equal(canonicalJson(published), canonicalJson(policyJsonSchema()));
  });

  it("refuses unknown fields, naming their path", () => {
    refuses((p) => Object.assign(p, { admin: "mallory" }), "admin", /unknown field/);
    refuses(
      (p) => Object.assign(rule(p, "routine-votes").conditions ?? {}, { maxAmmount: "1" }),
      "rules[1].conditions.maxAmmount",
      /unknown field/,
    );
    refuses((p) => Object.assign(p.quorum, { weight: 2 }), "quorum.weight", /unknown field/);
  });

  it("refuses wrong types and patterns, naming their path", () => {
    refuses((p) => Object.assign(p, { version: 1.5 }), "version", /int/i);
    refuses(
      (p) => Object.assign(rule(p, "routine-lock-free").conditions ?? {}, { maxAmount: "1e21" }),
      "rules[2].conditions.maxAmount",
      /decimal integer string/,
    );
    refuses(
      (p) => Object.assign(rule(p, "routine-votes").match, { actions: ["transfer"] }),
      "rules[1].match.actions[0]",
      /./,
    );
    refuses(
      (p) => Object.assign(rule(p, "routine-votes").match, { actions: [] }),
      "rules[1].match.actions",
      /./,
    );
    refuses(
      (p) => {
        const a = p.approverGroups["ops-approvers"]?.approvers[0];
        if (a) a.publicKeys = ["ABCD"];
      },
      "approverGroups.ops-approvers.approvers[0].publicKeys[0]",
      /64 lowercase hex/,
    );
    refuses(
      (p) => Object.assign(rule(p, "routine-votes"), { outcome: { type: "maybe" } }),
      "rules[1].outcome.type",
      /./,
    );
  });

  it("refuses references to unknown groups", () => {
    refuses(
      (p) => Object.assign(p.quorum, { group: "board" }),
      "quorum.group",
      /unknown approver group board/,
    );
    refuses(
      (p) => Object.assign(rule(p, "withdrawal-preparation").outcome, { group: "nobody" }),
      "rules[5].outcome.group",
      /unknown approver group nobody/,
    );
  });

  it("refuses N greater than the group size (quorum and approvals)", () => {
    refuses(
      (p) => Object.assign(p.quorum, { threshold: 4 }),
      "quorum.threshold",
      /4 approvals asked but group custody-officers has 3/,
    );
    refuses(
      (p) =>
        Object.assign(rule(p, "routine-votes"), {
          otherwise: { type: "require", group: "ops-approvers", count: 5 },
        }),
      "rules[1].otherwise.count",
      /group ops-approvers has 4/,
    );
  });

  it("refuses an otherwise of allow: out-of-pattern intents can never auto-allow", () => {
    refuses(
      (p) => Object.assign(rule(p, "routine-votes"), { otherwise: { type: "allow" } }),
      "rules[1].otherwise.type",
      /./,
    );
  });

  it("refuses unbounded allow rules, naming the missing bound", () => {
    refuses(
      (p) => delete rule(p, "routine-votes").conditions?.allowlists?.chiefs,
      "rules[1].conditions.allowlists.chiefs",
      /allow rule for vote must restrict chiefs/,
    );
    refuses(
      (p) => delete rule(p, "routine-delegate").conditions?.allowlists,
      "rules[3].conditions.allowlists.bakers",
      /must restrict bakers/,
    );
    refuses(
      (p) => delete rule(p, "routine-lock-free").conditions?.maxAmount,
      "rules[2].conditions.maxAmount",
      /must restrict the amount/,
    );
    refuses(
      (p) => delete rule(p, "routine-votes").conditions?.velocity,
      "rules[1].conditions.velocity",
      /velocity limit with maxCount/,
    );
    refuses(
      (p) => rule(p, "routine-delegate").match.actions.push("vote"),
      "rules[3].conditions.allowlists.chiefs",
      /allow rule for vote must restrict chiefs/,
    );
    refuses(
      (p) => Object.assign(rule(p, "withdrawal-preparation"), { outcome: { type: "allow" } }),
      "rules[5].conditions.maxAmount",
      /withdrawal-preparation must restrict the amount/,
    );
  });

  it("refuses duplicate rule ids, double-listed approvers and shared keys", () => {
    refuses(
      (p) => Object.assign(rule(p, "originations"), { id: "routine-votes" }),
      "rules[4].id",
      /duplicate rule id/,
    );
    refuses(
      (p) => {
        const ops = p.approverGroups["ops-approvers"];
        if (ops?.approvers[0]) ops.approvers.push(clone(ops.approvers[0]));
      },
      "approverGroups.ops-approvers.approvers[4].id",
      /listed twice/,
    );
    refuses(
      (p) => {
        const erin = p.approverGroups["custody-officers"]?.approvers[0];
        if (erin) erin.publicKeys = [approverPublic("alice")];
      },
      "approverGroups.custody-officers.approvers[0].publicKeys[0]",
      /already belongs to approver alice/,
    );
    refuses(
      (p) => {
        p.approverGroups["custody-officers"]?.approvers.push({
          id: "alice",
          publicKeys: [approverPublic("bob")],
        });
      },
      "approverGroups.custody-officers.approvers[3].publicKeys",
      /different keys in another group/,
    );
  });

  it("refuses broken version links, empty windows and limits without a bound", () => {
    refuses(
      (p) => Object.assign(p, { previousPolicyHash: "00".repeat(32) }),
      "previousPolicyHash",
      /null for version 1/,
    );
    refuses(
      (p) => Object.assign(p, { version: 2 }),
      "previousPolicyHash",
      /must name the policy it replaces/,
    );
    refuses(
      (p) =>
        Object.assign(rule(p, "routine-lock-free").conditions?.timeWindow ?? {}, { fromHour: 6, toHour: 6 }),
      "rules[2].conditions.timeWindow",
      /empty or ambiguous/,
    );
    refuses(
      (p) => rule(p, "routine-votes").conditions?.velocity?.push({ windowSeconds: 60 }),
      "rules[1].conditions.velocity[2]",
      /needs maxCount or maxAmount/,
    );
    refuses(
      (p) => Object.assign(rule(p, "originations"), { otherwise: { type: "deny" } }),
      "rules[4].otherwise",
      /needs conditions/,
    );
  });

  it("reports malformed JSON text as a policy error", () => {
    assert.throws(
      () => parsePolicyJson("{"),
      (e: unknown) => e instanceof PolicyValidationError && /not JSON/.test(e.message),
    );
    assert.equal(parsePolicyJson(JSON.stringify(examplePolicy())).version, 1);
  });

  it("lists every issue, not only the first", () => {
    const doc = clone(examplePolicy());
    Object.assign(doc, { extra: 1 });
    Object.assign(doc, { version: "x" });
    try {
      validatePolicy(doc);
      assert.fail("accepted");
    } catch (err) {
      assert.ok(err instanceof PolicyValidationError);
      assert.ok(err.issues.length >= 2);
      assert.deepEqual(err.issues.map((i) => i.path).sort(), ["extra", "version"]);
      assert.match(err.message, /\(and 1 more\)$/);
    }
  });
});
