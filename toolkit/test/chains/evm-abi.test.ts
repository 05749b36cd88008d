import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Interface } from "ethers";
import {
  KNOWN_CALLS,
  callSignature,
  decodeCall,
  encodeCall,
  selectorOf,
  type KnownCallName,
} from "../../src/chains/evm/abi.js";
import { toHex } from "../../src/chains/hex.js";
import { InvalidInputError } from "../../src/errors.js";
import { checksumAddress } from "../../src/chains/evm/address.js";

const iface = new Interface([
  "function freeAll()",
  "function free(uint256 wad)",
  "function rescue(address token)",
  "function rescueEth()",
  "function rotateHot(address newHot)",
  "function transfer(address to, uint256 amount)",
]);

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => checksumAddress(toHex(b)));
const uint256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });

describe("ABI for cold calls", () => {
  it("computes every selector as ethers does", () => {
    for (const name of Object.keys(KNOWN_CALLS) as KnownCallName[]) {
      const fragment = iface.getFunction(name);
      assert.ok(fragment);
      assert.equal(callSignature(name), fragment.format("sighash"));
      assert.equal(selectorOf(callSignature(name)), fragment.selector);
    }
    assert.equal(selectorOf("transfer(address,uint256)"), "0xa9059cbb");
  });

  it("encodes transfer like ethers and decodes it back", () => {
    fc.assert(
      fc.property(address, uint256, (to, amount) => {
        const data = encodeCall("transfer", { to, amount });
        assert.equal(data, iface.encodeFunctionData("transfer", [to, amount]));
        const call = decodeCall(data);
        assert.equal(call.kind, "known");
        assert.ok(call.kind === "known");
        assert.equal(call.name, "transfer");
        assert.deepEqual(
          call.args.map((a) => a.value),
          [to, amount.toString()],
        );
      }),
      { numRuns: 200 },
    );
  });

  it("encodes the proxy calls like ethers", () => {
    fc.assert(
      fc.property(address, uint256, (a, wad) => {
        assert.equal(encodeCall("free", { wad }), iface.encodeFunctionData("free", [wad]));
        assert.equal(encodeCall("rescue", { token: a }), iface.encodeFunctionData("rescue", [a]));
        assert.equal(encodeCall("rotateHot", { newHot: a }), iface.encodeFunctionData("rotateHot", [a]));
        for (const data of [encodeCall("free", { wad }), encodeCall("rescue", { token: a })]) {
          const call = decodeCall(data);
          assert.ok(call.kind === "known");
          assert.equal(
            encodeCall(call.name, Object.fromEntries(call.args.map((x) => [x.name, x.value]))),
            data,
          );
        }
      }),
      { numRuns: 100 },
    );
    assert.equal(encodeCall("freeAll"), iface.encodeFunctionData("freeAll", []));
    assert.equal(encodeCall("rescueEth"), iface.encodeFunctionData("rescueEth", []));
  });

  it("reports empty data as no call and unknown selectors as unknown calls", () => {
    assert.deepEqual(decodeCall("0x"), { kind: "none" });
    const approve = new Interface(["function approve(address,uint256)"]).encodeFunctionData("approve", [
      "0x000000000000000000000000000000000000dEaD",
      1n,
    ]);
    const call = decodeCall(approve);
    assert.equal(call.kind, "unknown");
    assert.ok(call.kind === "unknown");
    assert.equal(call.selector, "0x095ea7b3");
    assert.equal(decodeCall("0x01").kind, "unknown");
  });

  it("refuses a known selector with malformed arguments", () => {
    const good = encodeCall("transfer", { to: "0x000000000000000000000000000000000000dEaD", amount: 5n });
    const refused = (data: string) =>
      assert.throws(
        () => decodeCall(data),
        (e: unknown) => e instanceof InvalidInputError && e.field === "data",
      );
    refused(`${good}00`);
    refused(good.slice(0, -2));
    refused(`0xa9059cbb${"ff".repeat(12)}${good.slice(34)}`);
  });

  it("refuses bad arguments when encoding, naming them", () => {
    const field = (fn: () => unknown, f: string) =>
      assert.throws(fn, (e: unknown) => e instanceof InvalidInputError && e.field === f);
    field(() => encodeCall("transfer", { to: "0x1234", amount: 1n }), "args.to");
    field(
      () => encodeCall("transfer", { to: "0x000000000000000000000000000000000000dEaD", amount: -1n }),
      "args.amount",
    );
    field(
      () => encodeCall("transfer", { to: "0x000000000000000000000000000000000000dEaD", amount: 2n ** 256n }),
      "args.amount",
    );
    field(() => encodeCall("transfer", { to: "0x000000000000000000000000000000000000dEaD" }), "args.amount");
    field(() => encodeCall("freeAll", { extra: "1" }), "args.extra");
  });
});
