import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { getAddress, hexlify } from "ethers";
import { proxyInterface } from "../../src/governance/abi.js";
import { encodeVoteCandidates } from "../../src/governance/vote-calldata.js";

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(hexlify(b)));

describe("vote(address[]) calldata", () => {
  it("is byte for byte what ethers encodes, for any candidate list", () => {
    fc.assert(
      fc.property(fc.array(address, { maxLength: 8 }), (candidates) => {
        assert.equal(
          encodeVoteCandidates(candidates),
          proxyInterface.encodeFunctionData("vote(address[])", [candidates]),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("refuses something that is not an address, naming it", () => {
    assert.throws(() => encodeVoteCandidates(["0x1234"]), /candidate "0x1234" is not an address/);
  });
});
