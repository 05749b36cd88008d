import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { packDataBytes, unpackDataBytes } from "@taquito/michel-codec";
import type { MichelsonData, MichelsonType } from "@taquito/michel-codec";
import {
  pack,
  unpack,
  parseMichelson,
  normalizeData,
  MichelsonTypeError,
} from "../../sandbox/michelson/index.js";
import type { Micheline } from "../../sandbox/michelson/index.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const m = (s: string): Micheline => parseMichelson(s);

// (type, value) pairs whose PACK is cross-checked against @taquito/michel-codec's packDataBytes.
const VECTORS: readonly [string, string][] = [
  ["int", "0"],
  ["int", "-1"],
  ["int", "63"],
  ["int", "64"],
  ["int", "-64"],
  ["int", "123456789123456789123456789"],
  ["nat", "1000000"],
  ["mutez", "9223372036854775807"],
  ["string", '"foobar"'],
  ["string", '""'],
  ["bytes", "0x00aabbcc"],
  ["bytes", "0x"],
  ["bool", "True"],
  ["bool", "False"],
  ["unit", "Unit"],
  ["pair nat string", 'Pair 1 "a"'],
  ["pair nat nat nat nat", "Pair 1 2 3 4"],
  ["or nat string", 'Right "x"'],
  ["option int", "Some -5"],
  ["option int", "None"],
  ["list nat", "{ 1 ; 2 ; 3 }"],
  ["set string", '{ "a" ; "b" }'],
  ["map string nat", '{ Elt "a" 1 ; Elt "b" 2 }'],
  ["address", '"tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx"'],
  ["address", '"tz2TSvNTh2epDMhZHrw73nV9piBX7kLZ9K9m"'],
  ["address", '"tz3WEJYwJ6pPwVbSL8FrSoAXRmFHHZTuEnMA"'],
  ["address", '"KT1BEqzn5Wx8uJrZNvuS9DVHmLvG9td3fDLi"'],
  ["address", '"KT1BEqzn5Wx8uJrZNvuS9DVHmLvG9td3fDLi%transfer"'],
  ["key_hash", '"tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx"'],
  ["key", '"edpkuBknW28nW72KG6RoHtYW7p12T6GKc7nAbwYX5m8Wd9sDVC9yav"'],
  [
    "signature",
    '"edsigthTzJ8X7MPmNeEwybRAvdxS1pupqcM5Mk4uCuyZAe7uEk68YpuGDeViW8wSXMrCi5CwoNgqs8V2w8ayB5dMJzrYCHhD8C7"',
  ],
  ["timestamp", '"2019-09-09T08:35:33Z"'],
  ["timestamp", "-100"],
  ["chain_id", '"NetXdQprcVkpaWU"'],
  ["lambda nat nat", "{ PUSH nat 1 ; ADD }"],
];

describe("PACK", () => {
  for (const [t, v] of VECTORS) {
    it(`matches michel-codec for ${t} ${v}`, () => {
      const ours = hex(pack(m(t), m(v)));
      const theirs = packDataBytes(m(v) as MichelsonData, m(t) as MichelsonType).bytes;
      assert.equal(ours, theirs);
    });
  }

  it("matches the protocol's packunpack vector", () => {
    const t = m("pair (pair string (list int)) (set nat)");
    const v = m('Pair (Pair "toto" { 3 ; 7 ; 9 ; 1 }) { 1 ; 2 ; 3 }');
    assert.equal(
      hex(pack(t, v)),
      "05070707070100000004746f746f020000000800030007000900010200000006000100020003",
    );
  });

  it("rejects a value of the wrong type", () => {
    assert.throws(() => pack(m("nat"), m("-1")), MichelsonTypeError);
  });

  it("rejects a non-packable type", () => {
    assert.throws(() => pack(m("big_map nat nat"), m("{}")), /not packable/);
  });
});

describe("UNPACK", () => {
  for (const [t, v] of VECTORS) {
    it(`round-trips ${t} ${v}`, () => {
      const packed = pack(m(t), m(v));
      const back = unpack(m(t), packed);
      assert.notEqual(back, null);
      assert.deepEqual(normalizeData(m(t), back!, "optimized"), normalizeData(m(t), m(v), "optimized"));
    });
  }

  it("decodes what michel-codec packs", () => {
    const bytes = packDataBytes(
      m('Pair 7 "x"') as MichelsonData,
      m("pair nat string") as MichelsonType,
    ).bytes;
    assert.deepEqual(unpack(m("pair nat string"), Buffer.from(bytes, "hex")), m('Pair 7 "x"'));
    assert.deepEqual(unpackDataBytes({ bytes }, m("pair nat string") as MichelsonType), m('Pair 7 "x"'));
  });

  it("returns null for a missing 0x05 prefix", () => {
    assert.equal(unpack(m("nat"), Uint8Array.from([0x00, 0x00, 0x01])), null);
  });

  it("returns null for trailing bytes", () => {
    assert.equal(unpack(m("nat"), Uint8Array.from([0x05, 0x00, 0x01, 0x00])), null);
  });

  it("returns null for truncated input", () => {
    assert.equal(unpack(m("string"), Uint8Array.from([0x05, 0x01, 0x00, 0x00, 0x00, 0x05, 0x61])), null);
  });

  it("returns null for a value of another type", () => {
    assert.equal(unpack(m("string"), Uint8Array.from([0x05, 0x00, 0x01])), null);
  });

  it("returns null for a negative nat", () => {
    assert.equal(unpack(m("nat"), Uint8Array.from([0x05, 0x00, 0x41])), null);
  });

  it("returns null for a non-canonical zarith", () => {
    assert.equal(unpack(m("int"), Uint8Array.from([0x05, 0x00, 0x81, 0x00])), null);
  });

  it("returns null for an unsorted set", () => {
    const b = pack(m("list nat"), m("{ 2 ; 1 }"));
    assert.equal(unpack(m("set nat"), b), null);
  });

  it("returns null for an ill-typed lambda", () => {
    const b = pack(m("lambda string string"), m("{}"));
    assert.equal(unpack(m("lambda nat string"), b), null);
  });

  it("round-trips arbitrary ints and strings (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 200n), max: 1n << 200n }), (n) => {
        const b = pack(m("int"), { int: n.toString() });
        assert.equal(hex(b), packDataBytes({ int: n.toString() }, { prim: "int" }).bytes);
        assert.deepEqual(unpack(m("int"), b), { int: n.toString() });
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."abc XYZ09_-!\n".split("")) }), (s) => {
        assert.deepEqual(unpack(m("string"), pack(m("string"), { string: s })), { string: s });
      }),
      { numRuns: 100 },
    );
  });
});

// Random (type, value) pairs over nested pairs, ors, options, lists and maps.
type TV = { t: Micheline; v: fc.Arbitrary<Micheline> };
const leaf: fc.Arbitrary<TV> = fc.constantFrom<TV>(
  {
    t: { prim: "int" },
    v: fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }).map((n) => ({ int: n.toString() })),
  },
  { t: { prim: "nat" }, v: fc.bigInt({ min: 0n, max: 1n << 70n }).map((n) => ({ int: n.toString() })) },
  {
    t: { prim: "string" },
    v: fc
      .string({ unit: fc.constantFrom(..."abcXYZ 019_".split("")), maxLength: 8 })
      .map((s) => ({ string: s })),
  },
  {
    t: { prim: "bytes" },
    v: fc.uint8Array({ maxLength: 6 }).map((b) => ({ bytes: Buffer.from(b).toString("hex") })),
  },
  { t: { prim: "bool" }, v: fc.boolean().map((b) => ({ prim: b ? "True" : "False" })) },
  { t: { prim: "unit" }, v: fc.constant({ prim: "Unit" }) },
);
const typed: fc.Arbitrary<TV> = fc.letrec<{ tv: TV }>((tie) => ({
  tv: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.tuple(tie("tv"), tie("tv")).map(([a, b]) => ({
      t: { prim: "pair", args: [a.t, b.t] },
      v: fc.tuple(a.v, b.v).map(([x, y]) => ({ prim: "Pair", args: [x, y] })),
    })),
    fc.tuple(tie("tv"), tie("tv")).map(([a, b]) => ({
      t: { prim: "or", args: [a.t, b.t] },
      v: fc.oneof(
        a.v.map((x) => ({ prim: "Left", args: [x] })),
        b.v.map((y) => ({ prim: "Right", args: [y] })),
      ),
    })),
    tie("tv").map((a) => ({
      t: { prim: "option", args: [a.t] },
      v: fc
        .option(a.v, { nil: undefined })
        .map((x) => (x === undefined ? { prim: "None" } : { prim: "Some", args: [x] })),
    })),
    tie("tv").map((a) => ({ t: { prim: "list", args: [a.t] }, v: fc.array(a.v, { maxLength: 3 }) })),
  ),
})).tv;

describe("PACK on random nested values", () => {
  it("agrees with michel-codec and round-trips through UNPACK", () => {
    fc.assert(
      fc.property(
        typed.chain((tv) => tv.v.map((v) => ({ t: tv.t, v }))),
        ({ t, v }) => {
          const ours = pack(t, v);
          assert.equal(hex(ours), packDataBytes(v as MichelsonData, t as MichelsonType).bytes);
          const back = unpack(t, ours);
          assert.notEqual(back, null);
          assert.equal(hex(pack(t, back!)), hex(ours));
        },
      ),
      { numRuns: 300 },
    );
  });
});
