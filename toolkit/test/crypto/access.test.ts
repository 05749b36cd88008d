import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidInputError } from "../../src/errors.js";
import {
  accessStructureToJson,
  describe as describeStructure,
  explainUnqualified,
  isFlat,
  isQualified,
  minimalQualifiedSubset,
  parseAccessStructure,
  parties,
  partyIdentifiers,
  structureHash,
} from "../../src/crypto/index.js";

const example = {
  all: [{ threshold: 2, of: ["alice", "bob", "carol"] }, { any: ["server-1", "server-2"] }, "head"],
};

function refuses(json: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseAccessStructure(json),
    (e: unknown) => e instanceof InvalidInputError && pattern.test(e.message),
  );
}

describe("parseAccessStructure", () => {
  it("parses the issue's example and describes it", () => {
    const s = parseAccessStructure(example);
    assert.equal(describeStructure(s), "2 of {alice, bob, carol} AND 1 of {server-1, server-2} AND head");
    assert.deepEqual(parties(s), ["alice", "bob", "carol", "server-1", "server-2", "head"]);
    assert.equal(isFlat(s), false);
  });

  it("treats all/any as sugar for n-of-n and 1-of-n", () => {
    const a = parseAccessStructure({ all: ["a", "b"] });
    const b = parseAccessStructure({ threshold: 2, of: ["a", "b"] });
    assert.equal(structureHash(a), structureHash(b));
    assert.deepEqual(accessStructureToJson(parseAccessStructure({ any: ["a", "b"] })), {
      threshold: 1,
      of: ["a", "b"],
    });
  });

  it("accepts JSON text and a bare party as 1 of 1", () => {
    assert.equal(describeStructure(parseAccessStructure('{"threshold":1,"of":["x"]}')), "x");
    assert.equal(parseAccessStructure("solo").threshold, 1);
  });

  it("refuses unknown keys", () => refuses({ threshold: 1, of: ["a"], weight: 2 }, /unknown key.*"weight"/));
  it("refuses mixed gate forms", () => refuses({ all: ["a"], any: ["b"] }, /exactly one of/));
  it("refuses threshold 0 and negative thresholds", () => {
    refuses({ threshold: 0, of: ["a"] }, /threshold 0 < 1/);
    refuses({ threshold: -1, of: ["a"] }, /< 1/);
  });
  it("refuses a threshold above the number of children (boundary triplet)", () => {
    parseAccessStructure({ threshold: 2, of: ["a", "b", "c"] });
    parseAccessStructure({ threshold: 3, of: ["a", "b", "c"] });
    refuses(
      { threshold: 4, of: ["a", "b", "c"] },
      /threshold 4 > 3 children: the gate can never be satisfied/,
    );
  });
  it("refuses non-integer thresholds", () => refuses({ threshold: 1.5, of: ["a", "b"] }, /integer/));
  it("refuses empty gates, naming the path", () =>
    refuses({ all: ["a", { any: [] }] }, /root\.2: empty gate/));
  it("refuses bad party names", () => {
    refuses({ any: ["Alice"] }, /bad party name "Alice"/);
    refuses({ any: ["-x"] }, /bad party name/);
    refuses({ any: ["a".repeat(65)] }, /bad party name/);
    parseAccessStructure({ any: ["a".repeat(64), "a.b_c-9"] });
  });
  it("refuses a party twice in the same gate but allows it in different gates", () => {
    refuses({ threshold: 1, of: ["a", "a"] }, /party "a" appears twice in the same gate/);
    parseAccessStructure({ all: [{ any: ["a", "b"] }, { any: ["a", "c"] }] });
  });
  it("refuses depth above 8 (boundary triplet)", () => {
    const nest = (d: number): unknown => (d === 1 ? { any: ["a"] } : { any: [nest(d - 1)] });
    parseAccessStructure(nest(7));
    parseAccessStructure(nest(8));
    refuses(nest(9), /deeper than 8/);
  });
  it("refuses more than 64 leaves (boundary triplet)", () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);
    parseAccessStructure({ threshold: 1, of: names(63) });
    parseAccessStructure({ threshold: 1, of: names(64) });
    refuses({ all: [{ threshold: 1, of: names(64) }, "extra"] }, /more than 64 party leaves/);
  });
  it("refuses non-objects", () => {
    refuses(42, /expected a party name or a gate/);
    refuses([["a"]], /expected a party name or a gate/);
    refuses("{not json", /not valid JSON/);
  });
});

describe("qualification", () => {
  const s = parseAccessStructure(example);
  it("needs every branch of the AND", () => {
    assert.equal(isQualified(s, ["alice", "bob", "server-2", "head"]), true);
    assert.equal(isQualified(s, ["alice", "server-2", "head"]), false);
    assert.equal(isQualified(s, ["alice", "bob", "carol", "head"]), false);
    assert.equal(isQualified(s, ["alice", "bob", "server-1", "server-2"]), false);
  });
  it("explains what is missing", () => {
    assert.equal(
      explainUnqualified(s, ["alice", "server-1"]),
      "root needs 3 of {root.1, root.2, head}, has 1 (root.2); root.1 needs 2 of {alice, bob, carol}, has 1 (alice)",
    );
    assert.equal(explainUnqualified(s, ["alice", "bob", "server-1", "head"]), "");
  });
  it("picks a deterministic minimal subset", () => {
    const all = parties(s);
    assert.deepEqual(minimalQualifiedSubset(s, all), ["alice", "bob", "server-1", "head"]);
    assert.deepEqual(minimalQualifiedSubset(s, [...all].reverse()), ["alice", "bob", "server-1", "head"]);
    assert.throws(() => minimalQualifiedSubset(s, ["alice"]), InvalidInputError);
  });
  it("drops a party that became redundant when it appears in several gates", () => {
    const t = parseAccessStructure({ any: [{ all: ["a", "b"] }, "b"] });
    assert.deepEqual(minimalQualifiedSubset(t, ["a", "b"]), ["b"]);
  });
  it("numbers flat parties 1..n like RFC 9591 identifiers", () => {
    assert.deepEqual(
      [...partyIdentifiers(parseAccessStructure({ threshold: 2, of: ["x", "y", "z"] }))],
      [
        ["x", 1],
        ["y", 2],
        ["z", 3],
      ],
    );
  });
});
