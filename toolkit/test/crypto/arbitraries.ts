// fast-check generators shared by the property tests: random nested access structures.
import fc from "fast-check";
import type { AccessStructureJson } from "../../src/crypto/index.js";

const POOL = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"];

/** A random gate of depth ≤ `depth` over a small pool (parties may repeat across gates). */
export function gateArb(depth: number): fc.Arbitrary<AccessStructureJson> {
  const child: fc.Arbitrary<AccessStructureJson> =
    depth <= 1
      ? fc.constantFrom(...POOL)
      : fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...POOL) },
          { weight: 1, arbitrary: fc.constant(null).chain(() => gateArb(depth - 1)) },
        );
  return fc
    .array(child, { minLength: 1, maxLength: 4 })
    .map((kids) => {
      // A party may appear only once per gate: drop duplicates.
      const seen = new Set<string>();
      return kids.filter((k) => typeof k !== "string" || (!seen.has(k) && (seen.add(k), true)));
    })
    .chain((kids) =>
      fc
        .integer({ min: 1, max: kids.length })
        .map((k) => ({ threshold: k, of: kids }) as AccessStructureJson),
    );
}

/** A random structure and a random subset of its party pool. */
export const structureAndSet = gateArb(3).chain((json) => fc.subarray(POOL).map((set) => ({ json, set })));
