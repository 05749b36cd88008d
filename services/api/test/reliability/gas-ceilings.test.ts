import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Interface, ZeroAddress, getAddress } from "ethers";
import { factoryInterface as factory, proxyInterface as proxy } from "../../src/governance/abi.js";
import { gasCeilingOf } from "../../src/outbox/gas-ceilings.js";

const rotateHot = new Interface(["function rotateHot(address)"]);
const candidates = (n: number) =>
  Array.from({ length: n }, (_, i) => getAddress("0x" + (i + 16).toString(16).padStart(2, "0").repeat(20)));

describe("gas ceilings of the governance calls", () => {
  it("answers a fixed ceiling per call, whatever the arguments", () => {
    assert.equal(gasCeilingOf(proxy.encodeFunctionData("lock(uint256)", [1n])), 300_000n);
    assert.equal(gasCeilingOf(proxy.encodeFunctionData("lock(uint256)", [2n ** 255n])), 300_000n);
    assert.equal(gasCeilingOf(proxy.encodeFunctionData("free(uint256)", [5n])), 250_000n);
    assert.equal(gasCeilingOf(proxy.encodeFunctionData("freeAll()", [])), 250_000n);
    assert.equal(gasCeilingOf(proxy.encodeFunctionData("vote(bytes32)", ["0x" + "ab".repeat(32)])), 150_000n);
    assert.equal(
      gasCeilingOf(
        factory.encodeFunctionData("createProxy", ["0x" + "00".repeat(31) + "01", ZeroAddress, ZeroAddress]),
      ),
      250_000n,
    );
  });

  it("grows a slate vote's ceiling with its candidates, above what a new slate of three costs", () => {
    const ceilings = [0, 1, 3, 5].map((n) =>
      gasCeilingOf(proxy.encodeFunctionData("vote(address[])", [candidates(n)])),
    );
    assert.deepEqual(ceilings, [100_000n, 160_000n, 280_000n, 400_000n]);
    // bench/results/gas.json: voteNewSlate3 costs 228,165 on DSChief v1.2.
    assert.ok(ceilings[2]! > 228_165n);
  });

  it("has no ceiling for calls it does not know or cannot read", () => {
    assert.equal(gasCeilingOf(rotateHot.encodeFunctionData("rotateHot", [ZeroAddress])), null);
    assert.equal(gasCeilingOf("0x"), null);
    assert.equal(gasCeilingOf(proxy.getFunction("vote(address[])")!.selector), null, "no array length");
    const huge = proxy.encodeFunctionData("vote(address[])", [candidates(1)]);
    const lying = huge.slice(0, 74) + (1000).toString(16).padStart(64, "0") + huge.slice(138);
    assert.equal(gasCeilingOf(lying), null, "an absurd length is estimated instead");
  });
});
