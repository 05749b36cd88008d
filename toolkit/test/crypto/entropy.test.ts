import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesToHex } from "@noble/hashes/utils.js";
import { InvalidInputError } from "../../src/errors.js";
import {
  diceEntropyBits,
  mixEntropy,
  mixedRng,
  parseDiceRolls,
  randomBytes,
  replayRng,
} from "../../src/crypto/index.js";

describe("entropy", () => {
  it("draws the requested number of OS random bytes, never the same twice", () => {
    assert.equal(randomBytes(32).length, 32);
    assert.notEqual(bytesToHex(randomBytes(32)), bytesToHex(randomBytes(32)));
    assert.throws(() => randomBytes(0), InvalidInputError);
  });

  it("parses dice rolls and names the position of a bad symbol", () => {
    assert.deepEqual(parseDiceRolls("3 6 1,4\n2"), [3, 6, 1, 4, 2]);
    assert.deepEqual(parseDiceRolls("3614"), [3, 6, 1, 4]);
    assert.throws(
      () => parseDiceRolls("3 6 7 1"),
      (e: unknown) => e instanceof InvalidInputError && /character 5 is "7"/.test(e.message),
    );
    assert.throws(() => parseDiceRolls("1 0"), /character 3 is "0"/);
    assert.throws(() => parseDiceRolls("   "), /no dice rolls/);
    assert.ok(Math.abs(diceEntropyBits(100) - 258.5) < 0.1);
  });

  it("mixes deterministically in both inputs and changes with either", () => {
    const os = new Uint8Array(32).fill(7);
    const a = mixEntropy(os, "1 2 3 4 5 6");
    assert.equal(bytesToHex(a), bytesToHex(mixEntropy(os, "123456")));
    assert.notEqual(bytesToHex(a), bytesToHex(mixEntropy(os, "123455")));
    const os2 = os.slice();
    os2[31] = 8;
    assert.notEqual(bytesToHex(a), bytesToHex(mixEntropy(os2, "123456")));
    assert.notEqual(bytesToHex(a), bytesToHex(os));
    assert.throws(() => mixEntropy(new Uint8Array(16), "1"), InvalidInputError);
  });

  it("gives a mixed RNG whose successive outputs differ even for a stuck base generator", () => {
    const stuck = () => new Uint8Array(64);
    const r = mixedRng("6 6 6 1", (n) => stuck().subarray(0, n));
    assert.notEqual(bytesToHex(r(32)), bytesToHex(r(32)));
    assert.throws(() => mixedRng("9"), InvalidInputError);
  });

  it("replays vector randomness and refuses surprises", () => {
    const r = replayRng([new Uint8Array(32)]);
    assert.throws(() => r(16), /replay expected 32 bytes/);
  });
});
