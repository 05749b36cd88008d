import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { auditHashTemplate, auditRowHash, GENESIS_HASH } from "../src/audit-chain.js";
import { canonicalJson, type JsonValue } from "../../shared/src/canonical-json.js";
import { createHash } from "node:crypto";

const json: fc.Arbitrary<JsonValue> = fc
  .jsonValue({ maxDepth: 3 })
  .map((v) => JSON.parse(JSON.stringify(v)) as JsonValue);

describe("the audit hash template the database completes", () => {
  it("joins with any previous hash and seq into exactly the canonical row", () => {
    fc.assert(
      fc.property(
        json,
        fc.string(),
        fc.string(),
        fc.date({ min: new Date(0), max: new Date(8.64e15 / 2), noInvalidDate: true }),
        fc.stringMatching(/^[0-9a-f]{64}$/),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        (payload, actor, action, at, prevHash, seq) => {
          const { head, middle, tail } = auditHashTemplate({ at, actor, action, payload });
          const joined = head + prevHash + middle + String(seq) + tail;
          assert.equal(
            joined,
            canonicalJson({ seq, at: at.toISOString(), actor, action, payload, prevHash }),
          );
          assert.equal(
            createHash("sha256").update(joined, "utf8").digest("hex"),
            auditRowHash({ seq, at, actor, action, payload, prevHash }),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is not fooled by a payload that contains the placeholders", () => {
    const payload = { prevHash: "f".repeat(63) + "e", seq: 987654321987654, x: '"prevHash":"' };
    const at = new Date(0);
    const { head, middle, tail } = auditHashTemplate({ at, actor: "a", action: "b", payload });
    assert.equal(
      head + GENESIS_HASH + middle + "1" + tail,
      canonicalJson({
        seq: 1,
        at: at.toISOString(),
        actor: "a",
        action: "b",
        payload,
        prevHash: GENESIS_HASH,
      }),
    );
  });
});
