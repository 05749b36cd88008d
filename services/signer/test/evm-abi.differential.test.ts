/**
 * The word-by-word calldata decoder must accept exactly what ethers' ABI coder decodes AND
 * re-encodes to the same bytes (the definition of canonical), with the same values: checked on
 * generated argument words biased towards offsets, lengths, padded addresses and stray bytes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { AbiCoder } from "ethers";
import { CalldataError, SELECTORS, decodeFactoryCall, decodeProxyCall } from "../src/allowlist/evm-abi.js";

const coder = AbiCoder.defaultAbiCoder();

/** ethers' view: the decoded values when decode + re-encode round-trips exactly, else "refused". */
function reference(types: string[], data: string): unknown[] | "refused" {
  const body = "0x" + data.slice(10);
  try {
    const values = coder.decode(types, body).toArray(true);
    return coder.encode(types, values).toLowerCase() === body.toLowerCase() ? values : "refused";
  } catch {
    return "refused";
  }
}

function ours(decode: () => unknown): unknown {
  try {
    return decode();
  } catch (err) {
    assert.ok(err instanceof CalldataError, String(err));
    assert.equal(err.reason, "EVM_BAD_CALLDATA", err.message);
    return "refused";
  }
}

const hexWord = (v: bigint): string => v.toString(16).padStart(64, "0");
const word = fc.oneof(
  fc.constantFrom(hexWord(0n), hexWord(0x20n), hexWord(0x40n), hexWord(2n ** 160n)),
  fc.bigInt({ min: 0n, max: 6n }).map(hexWord),
  // A clean address word, or one with a stray bit in its padding.
  fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => "0".repeat(24) + Buffer.from(b).toString("hex")),
  fc
    .tuple(fc.nat({ max: 11 }), fc.uint8Array({ minLength: 20, maxLength: 20 }))
    .map(([i, b]) => "0".repeat(2 * i) + "01" + "0".repeat(22 - 2 * i) + Buffer.from(b).toString("hex")),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex")),
);
/** Argument words, sometimes an array head (offset 0x20, matching length), sometimes stray bytes. */
const args = fc
  .tuple(
    fc.array(word, { maxLength: 5 }),
    fc.boolean(),
    fc.constantFrom("", "", "", "00", "0000000000000000000000000000000000000000000000000000000000000000ff"),
  )
  .map(
    ([words, arrayHead, tail]) =>
      (arrayHead ? [hexWord(0x20n), hexWord(BigInt(words.length)), ...words] : words).join("") + tail,
  );

describe("calldata decoding against ethers' decode + re-encode", () => {
  it("agrees on every proxy call", () => {
    const cases: [string, string[], (v: unknown[]) => unknown][] = [
      [SELECTORS.lock, ["uint256"], ([wad]) => ({ kind: "lock", wad })],
      [SELECTORS.free, ["uint256"], ([wad]) => ({ kind: "free", wad })],
      [SELECTORS.voteSlate, ["bytes32"], ([slate]) => ({ kind: "voteSlate", slate })],
      [SELECTORS.voteCandidates, ["address[]"], ([candidates]) => ({ kind: "voteCandidates", candidates })],
    ];
    let accepted = 0;
    fc.assert(
      fc.property(fc.constantFrom(...cases), args, ([selector, types, shape], body) => {
        const data = selector + body;
        const expected = reference(types, data);
        const actual = ours(() => decodeProxyCall(data, 1000));
        assert.deepEqual(actual, expected === "refused" ? expected : shape(expected), data);
        if (actual !== "refused") accepted++;
      }),
      { numRuns: 3000 },
    );
    assert.ok(accepted > 100, `only ${accepted} accepted: the generator must reach canonical calls`);
  });

  it("agrees on createProxy", () => {
    let accepted = 0;
    fc.assert(
      fc.property(args, (body) => {
        const data = SELECTORS.createProxy + body;
        const expected = reference(["bytes32", "address", "address"], data);
        const actual = ours(() => decodeFactoryCall(data));
        const shaped =
          expected === "refused"
            ? expected
            : { customerId: expected[0], cold: expected[1], hot: expected[2] };
        assert.deepEqual(actual, shaped, data);
        if (actual !== "refused") accepted++;
      }),
      { numRuns: 1500 },
    );
    assert.ok(accepted > 50, `only ${accepted} accepted`);
  });

  it("refuses upper-case or non-hex argument bytes it cannot read as words", () => {
    const good = SELECTORS.lock + hexWord(5n);
    assert.deepEqual(decodeProxyCall(good.toUpperCase().replace("0X", "0x"), 5), { kind: "lock", wad: 5n });
    assert.equal(
      ours(() => decodeProxyCall(SELECTORS.lock + "zz" + hexWord(5n).slice(2), 5)),
      "refused",
    );
  });
});
