import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  parseScript,
  typecheckScript,
  execute,
  defaultContext,
  unpack,
  MichelsonRuntimeError,
  MichelsonTypeError,
} from "../../sandbox/michelson/index.js";
import type { Micheline } from "../../sandbox/michelson/index.js";

// Random instruction sequences over a vocabulary that mixes well- and ill-typed uses: the
// typechecker must either accept or throw a MichelsonTypeError, and accepted code must either run
// or throw a MichelsonRuntimeError. Anything else (a TypeError, a RangeError) is a bug.
const INSTR: fc.Arbitrary<Micheline> = fc.constantFrom<Micheline>(
  { prim: "DUP" },
  { prim: "DROP" },
  { prim: "SWAP" },
  { prim: "CAR" },
  { prim: "CDR" },
  { prim: "UNPAIR" },
  { prim: "PAIR" },
  { prim: "ADD" },
  { prim: "SUB" },
  { prim: "MUL" },
  { prim: "EDIV" },
  { prim: "ABS" },
  { prim: "NEG" },
  { prim: "LSL" },
  { prim: "LSR" },
  { prim: "COMPARE" },
  { prim: "EQ" },
  { prim: "SIZE" },
  { prim: "PACK" },
  { prim: "SOME" },
  { prim: "CONCAT" },
  { prim: "INT" },
  { prim: "ISNAT" },
  { prim: "NOT" },
  { prim: "DIG", args: [{ int: "2" }] },
  { prim: "DUG", args: [{ int: "1" }] },
  { prim: "DUP", args: [{ int: "2" }] },
  { prim: "GET", args: [{ int: "3" }] },
  { prim: "UPDATE", args: [{ int: "2" }] },
  { prim: "PUSH", args: [{ prim: "nat" }, { int: "7" }] },
  { prim: "PUSH", args: [{ prim: "int" }, { int: "-300" }] },
  { prim: "PUSH", args: [{ prim: "nat" }, { int: "300" }] },
  { prim: "PUSH", args: [{ prim: "mutez" }, { int: "9223372036854775807" }] },
  { prim: "PUSH", args: [{ prim: "string" }, { string: "ab" }] },
  { prim: "PUSH", args: [{ prim: "bytes" }, { bytes: "05" }] },
  { prim: "UNPACK", args: [{ prim: "nat" }] },
  { prim: "IF_NONE", args: [[{ prim: "UNIT" }], [{ prim: "DROP" }, { prim: "UNIT" }]] },
  { prim: "NIL", args: [{ prim: "nat" }] },
  { prim: "CONS" },
  { prim: "IF", args: [[], []] },
  { prim: "NONE", args: [{ prim: "nat" }] },
  { prim: "FAILWITH" },
  { prim: "UNIT" },
  { prim: "DIP", args: [[{ prim: "DROP" }]] },
  { prim: "LOOP", args: [[{ prim: "PUSH", args: [{ prim: "bool" }, { prim: "False" }] }]] },
  { prim: "SLICE" },
  { prim: "MEM" },
  { prim: "CONTRACT", args: [{ prim: "unit" }] },
  { prim: "ADDRESS" },
  { prim: "SELF" },
  { prim: "BALANCE" },
  { prim: "NOW" },
  { prim: "BLAKE2B" },
);

describe("robustness", () => {
  it("never crashes with anything but typed errors on random code", () => {
    fc.assert(
      fc.property(fc.array(INSTR, { maxLength: 12 }), (body) => {
        const code: Micheline = [{ prim: "CAR" }, ...body];
        const sections: Micheline = [
          { prim: "parameter", args: [{ prim: "nat" }] },
          { prim: "storage", args: [{ prim: "unit" }] },
          { prim: "code", args: [code] },
        ];
        let typed;
        try {
          typed = typecheckScript(parseScript(sections));
        } catch (e) {
          assert.ok(e instanceof MichelsonTypeError, String(e));
          return;
        }
        try {
          execute(
            typed,
            { parameter: { int: "5" }, storage: { prim: "Unit" } },
            defaultContext({ gasLimit: 50_000n }),
          );
        } catch (e) {
          assert.ok(e instanceof MichelsonRuntimeError, String(e));
        }
      }),
      { numRuns: 1500 },
    );
  });

  it("UNPACK never throws on random bytes", () => {
    const types: Micheline[] = [
      { prim: "nat" },
      { prim: "string" },
      { prim: "pair", args: [{ prim: "int" }, { prim: "bytes" }] },
      { prim: "list", args: [{ prim: "address" }] },
      { prim: "lambda", args: [{ prim: "nat" }, { prim: "nat" }] },
      { prim: "map", args: [{ prim: "key_hash" }, { prim: "signature" }] },
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(...types), (tail, t) => {
        const bytes = Uint8Array.from([5, ...tail]);
        assert.doesNotThrow(() => unpack(t, bytes));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("resource bounds", () => {
  const bodies = [
    'DROP ; PUSH string "ab" ; PUSH bool True ; LOOP { DUP ; CONCAT ; PUSH bool True } ; SIZE',
    "DROP ; PUSH bytes 0x01 ; PUSH bool True ; LOOP { DUP ; CONCAT ; PUSH bool True } ; SIZE",
    "DROP ; PUSH nat 3 ; PUSH bool True ; LOOP { DUP ; MUL ; PUSH bool True } ; DROP ; PUSH nat 0",
    "DROP ; NIL nat ; PUSH bool True ; LOOP { PUSH nat 1 ; CONS ; PUSH bool True } ; SIZE",
    "DROP ; EMPTY_SET nat ; PUSH nat 0 ; PUSH bool True ; LOOP { DUP ; DIP { PUSH bool True ; SWAP ; UPDATE } ; PUSH nat 1 ; ADD ; PUSH bool True } ; DROP ; SIZE",
  ];
  for (const body of bodies) {
    it(`runs out of gas, not of memory or time: ${body.slice(7, 60)}...`, () => {
      const t0 = performance.now();
      assert.throws(
        () =>
          execute(
            typecheckScript(
              parseScript(`parameter unit; storage nat; code { ${body} ; NIL operation ; PAIR }`),
            ),
            { parameter: { prim: "Unit" }, storage: { int: "0" } },
            defaultContext(),
          ),
        (e: unknown) => e instanceof MichelsonRuntimeError && e.kind === "gas_exhausted",
      );
      assert.ok(performance.now() - t0 < 5000);
    });
  }
});
