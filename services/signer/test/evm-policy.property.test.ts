/**
 * Properties of the pure EVM policy: whatever bytes arrive, a transaction is accepted only when
 * it is one of the allowed calls, canonically encoded, to a known proxy or a factory.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Transaction, getAddress } from "ethers";
import { checkEvmTransaction } from "../src/allowlist/evm.js";
import { SELECTORS } from "../src/allowlist/evm-abi.js";
import { PolicyRefusedError, InvalidInputError } from "../src/errors.js";
import { EVM_POLICY, FACTORY, proxyAbi, unsignedTx } from "./helpers/fixture.js";

const SIGNER = getAddress("0x" + "5a".repeat(20));
const PROXY = getAddress("0x" + "70".repeat(20));
const ctx = {
  signer: SIGNER,
  expectedNonce: 0n,
  knownProxy: (a: string) => (a === PROXY ? SIGNER : undefined),
};
const ALLOWED = new Set(Object.values(SELECTORS));

function decide(hex: string): "accepted" | "refused" {
  try {
    checkEvmTransaction(hex, EVM_POLICY, ctx);
    return "accepted";
  } catch (err) {
    if (err instanceof PolicyRefusedError || err instanceof InvalidInputError) return "refused";
    throw err;
  }
}

describe("EVM policy properties", () => {
  it("accepts calldata only for an allowed selector on the right target whose arguments re-encode exactly", () => {
    const word = fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n }).map((v) => v.toString(16).padStart(64, "0")),
      fc.constantFrom("0".repeat(24) + SIGNER.slice(2).toLowerCase(), "0".repeat(62) + "20", "0".repeat(64)),
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex")),
    );
    const selector = fc.oneof(
      fc.constantFrom(...ALLOWED, "0x2e1a7d4d", "0xa9059cbb"),
      fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => "0x" + Buffer.from(b).toString("hex")),
    );
    let accepted = 0;
    fc.assert(
      fc.property(selector, fc.array(word, { maxLength: 4 }), fc.boolean(), (sel, words, toFactory) => {
        const data = sel + words.join("");
        if (decide(unsignedTx({ to: toFactory ? FACTORY : PROXY, data })) === "accepted") {
          accepted++;
          assert.ok(ALLOWED.has(sel), `accepted selector ${sel}`);
          assert.equal(toFactory, sel === SELECTORS.createProxy);
        }
      }),
      { numRuns: 1000 },
    );
    // Not vacuous: the generator reaches acceptable calls.
    assert.ok(accepted > 0, `only ${accepted} accepted`);
  });

  it("never throws anything but a typed error on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (bytes) => {
        assert.equal(decide("0x" + Buffer.from(bytes).toString("hex")), "refused");
      }),
      { numRuns: 400 },
    );
  });

  it("refuses every single-byte change of an accepted lock transaction unless it is still a canonical allowed call", () => {
    const good = unsignedTx({ to: PROXY, data: proxyAbi.encodeFunctionData("lock", [12345n]) });
    assert.equal(decide(good), "accepted");
    fc.assert(
      fc.property(
        fc.nat({ max: (good.length - 2) / 2 - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (index, xor) => {
          const bytes = Buffer.from(good.slice(2), "hex");
          bytes[index] = bytes[index]! ^ xor;
          const mutated = "0x" + bytes.toString("hex");
          // A mutation may legitimately land on another accepted value (the lock amount, or fees
          // within caps); it must never be accepted with another target, selector or value.
          if (decide(mutated) === "accepted") {
            const tx = Transaction.from(mutated);
            assert.equal(tx.to, PROXY);
            assert.equal(tx.value, 0n);
            assert.equal(tx.data.slice(0, 10), SELECTORS.lock);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
