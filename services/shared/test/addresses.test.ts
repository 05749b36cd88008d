import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseChecksummedAddress, parseTz1Address, toChecksumAddress } from "../src/addresses.js";
import { canonicalJson } from "../src/canonical-json.js";
import { ValidationError } from "../src/errors.js";

// EIP-55 test vectors, from https://eips.ethereum.org/EIPS/eip-55 ("Test Cases").
const EIP55 = [
  "0x52908400098527886E0F7030069857D2E4169EE7",
  "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
  "0xde709f2102306220921060314715629080e2fb77",
  "0x27b1fdb04752bbc536007a920d24acb045561c26",
  "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
  "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
  "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
  "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
];

function fieldOf(fn: () => unknown): [string | undefined, string] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ValidationError);
    return [error.field, error.code];
  }
  assert.fail("expected a ValidationError");
}

describe("EVM addresses", () => {
  it("reproduces the EIP-55 vectors", () => {
    for (const address of EIP55) assert.equal(toChecksumAddress(address.toLowerCase()), address);
  });
  it("accepts the mixed-case vectors and refuses a flipped letter", () => {
    assert.equal(parseChecksummedAddress(EIP55[4]!, "cold"), EIP55[4]);
    assert.deepEqual(
      fieldOf(() => parseChecksummedAddress(EIP55[4]!.replace("aAeb", "AAeb"), "cold")),
      ["cold", "bad_checksum"],
    );
  });
  it("refuses wrong lengths and non-hex", () => {
    assert.deepEqual(
      fieldOf(() => parseChecksummedAddress("0x1234", "cold")),
      ["cold", "invalid_evm_address"],
    );
    assert.deepEqual(
      fieldOf(() => parseChecksummedAddress("0x" + "g".repeat(40), "cold")),
      ["cold", "invalid_evm_address"],
    );
  });
});

describe("Tezos tz1 addresses", () => {
  it("accepts a valid tz1 (taquito's test account)", () => {
    assert.equal(
      parseTz1Address("tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb", "tz"),
      "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb",
    );
  });
  it("refuses a broken checksum, tz2/KT1 and garbage", () => {
    for (const bad of [
      "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjc",
      "tz2BFTyPeYRzxd5aiBchbXN3WCZhx7BqbMBq",
      "KT1BEqzn5Wx8uJrZNvuS9DVHmLvG9td3fDLi",
      "tz1",
      "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcj0",
    ]) {
      assert.deepEqual(
        fieldOf(() => parseTz1Address(bad, "tz")),
        ["tz", "invalid_tezos_address"],
        bad,
      );
    }
  });
});

describe("canonical JSON", () => {
  it("sorts keys at every depth and drops undefined", () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [true, null], c: "x" }, u: undefined }),
      '{"a":{"c":"x","d":[true,null]},"b":1}',
    );
  });
  it("refuses values JSON cannot carry", () => {
    assert.throws(() => canonicalJson(1n), TypeError);
    assert.throws(() => canonicalJson(Number.NaN), TypeError);
  });
});
