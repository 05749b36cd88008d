import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ZeroAddress, dataLength, dataSlice } from "ethers";
import { ValidationError } from "../../shared/src/errors.js";
import { ConfigError } from "../../shared/src/errors.js";
import {
  PROXY_RUNTIME_LENGTH,
  customerSalt,
  predictProxyAddress,
  proxyCreationCode,
  proxyRuntimeCode,
} from "../src/governance/create2.js";
import { parseVote, parseWad } from "../src/governance/governance.dto.js";
import { loadGovernanceSettings } from "../src/governance/settings.js";
import { chooseFees, chooseGasLimit } from "../src/outbox/fees.js";

const MAX = (1n << 256n) - 1n;
const refusal = (code: string, field: string) => (e: unknown) =>
  e instanceof ValidationError && e.code === code && e.field === field;

describe("parseWad", () => {
  it("accepts 1 and 2^256 - 1 and refuses 0 and 2^256 (boundaries)", () => {
    assert.throws(() => parseWad("0", "wad"), refusal("invalid_amount", "wad"));
    assert.equal(parseWad("1", "wad"), 1n);
    assert.equal(parseWad((MAX - 1n).toString(), "wad"), MAX - 1n);
    assert.equal(parseWad(MAX.toString(), "wad"), MAX);
    assert.throws(() => parseWad((MAX + 1n).toString(), "wad"), refusal("amount_too_large", "wad"));
    assert.throws(() => parseWad("9".repeat(200), "wad"), refusal("amount_too_large", "wad"));
  });

  it("refuses every non-decimal spelling", () => {
    for (const bad of ["", " 1", "1 ", "+1", "-1", "1.0", "1e3", "0x1", "01", "１", "1_000"]) {
      assert.throws(() => parseWad(bad, "wad"), refusal("invalid_amount", "wad"), bad);
    }
  });
});

describe("parseVote", () => {
  const a = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
  const b = "0x1111111111111111111111111111111111111111";
  it("sorts candidates ascending, as the chief requires", () => {
    assert.deepEqual(parseVote({ candidates: [a, b] }, 5), { kind: "candidates", candidates: [b, a] });
  });
  it("accepts exactly the chief's limit and refuses one more", () => {
    const many = Array.from({ length: 6 }, (_, i) => "0x" + String(i + 1).repeat(40));
    assert.equal(parseVote({ candidates: many.slice(0, 5) }, 5).kind, "candidates");
    assert.throws(() => parseVote({ candidates: many }, 5), refusal("too_long", "candidates"));
  });
  it("lower-cases a slate and refuses a non-32-byte one", () => {
    assert.deepEqual(parseVote({ slate: "0x" + "AB".repeat(32) }, 5), {
      kind: "slate",
      slate: "0x" + "ab".repeat(32),
    });
    assert.throws(() => parseVote({ slate: "0x" + "ab".repeat(31) }, 5), refusal("invalid_slate", "slate"));
  });
});

describe("CREATE2 prediction", () => {
  it("pads the customer UUID into the salt", () => {
    assert.equal(
      customerSalt("0b8e4c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b"),
      "0x000000000000000000000000000000000b8e4c1a2f3d4e5f8a9b0c1d2e3f4a5b",
    );
    assert.throws(() => customerSalt("not-a-uuid"), TypeError);
  });
  it("changes with every input", () => {
    const f = "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9";
    const i = "0x856e4424f806D16E8CBC702B3c0F2ede5468eae5";
    const c = "0x00000000000000000000000000000000000c01d5";
    const h = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    const s = "0x" + "ab".repeat(32);
    const base = predictProxyAddress(f, i, s, c, h);
    assert.notEqual(predictProxyAddress(f, i, s, h, c), base);
    assert.notEqual(predictProxyAddress(f, i, "0x" + "ac".repeat(32), c, h), base);
    assert.notEqual(predictProxyAddress(f, h, s, c, h), base);
  });
  it("lays out the clone as ProxyArgs.sol does: 118-byte constructor, 217-byte runtime", () => {
    const i = "0x856e4424f806D16E8CBC702B3c0F2ede5468eae5";
    const chief = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
    const c = "0x00000000000000000000000000000000000c01d5";
    const h = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    const s = "0x" + "ab".repeat(32);
    const runtime = proxyRuntimeCode(i, chief, c, h, s);
    assert.equal(dataLength(runtime), PROXY_RUNTIME_LENGTH);
    assert.equal(dataSlice(runtime, 0x21, 0x35), i.toLowerCase());
    assert.equal(dataSlice(runtime, 0x4b, 0x5f), h.toLowerCase());
    assert.equal(dataSlice(runtime, 0x70, 0x84), chief.toLowerCase());
    assert.equal(dataSlice(runtime, 0xa5, 0xb9), c.toLowerCase());
    assert.equal(dataSlice(runtime, 0xb9), s);
    const creation = proxyCreationCode(i, c, h, s);
    assert.equal(dataLength(creation), 118 + PROXY_RUNTIME_LENGTH);
    // The creation code carries a zero chief, which the constructor reads from the factory.
    assert.equal(dataSlice(creation, 118), proxyRuntimeCode(i, ZeroAddress, c, h, s));
  });
});

describe("fees", () => {
  const caps = { maxFeePerGas: 100n, maxPriorityFeePerGas: 5n };
  it("uses twice the base fee plus the tip, within the caps", () => {
    assert.deepEqual(chooseFees({ baseFeePerGas: 10n, maxPriorityFeePerGas: 2n }, caps), {
      maxFeePerGas: 22n,
      maxPriorityFeePerGas: 2n,
    });
    assert.deepEqual(chooseFees({ baseFeePerGas: 60n, maxPriorityFeePerGas: 50n }, caps), {
      maxFeePerGas: 100n,
      maxPriorityFeePerGas: 5n,
    });
  });
  it("waits when the base fee reaches the cap (99 / 100 / 101)", () => {
    assert.notEqual(chooseFees({ baseFeePerGas: 99n, maxPriorityFeePerGas: 1n }, caps), null);
    assert.equal(chooseFees({ baseFeePerGas: 100n, maxPriorityFeePerGas: 1n }, caps), null);
    assert.equal(chooseFees({ baseFeePerGas: 101n, maxPriorityFeePerGas: 1n }, caps), null);
  });
  it("pads the gas estimate by a fifth, never above the cap", () => {
    assert.equal(chooseGasLimit(100n, 1000n), 120n);
    assert.equal(chooseGasLimit(999n, 1000n), 1000n);
    assert.equal(chooseGasLimit(1000n, 1000n), 1000n);
    assert.equal(chooseGasLimit(1001n, 1000n), null);
  });
});

describe("loadGovernanceSettings", () => {
  const env = {
    EVM_FACTORY: "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
    EVM_IMPLEMENTATION: "0x856e4424f806D16E8CBC702B3c0F2ede5468eae5",
    EVM_CHIEF: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
    EVM_GOV: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  };
  it("is off without EVM_FACTORY and reads defaults otherwise", () => {
    assert.equal(loadGovernanceSettings({}), undefined);
    const s = loadGovernanceSettings(env)!;
    assert.equal(s.chainId, 31337n);
    assert.equal(s.hotKeyId, "evm-hot");
    assert.equal(s.maxCandidates, 5);
  });
  it("names every bad variable", () => {
    assert.throws(
      () => loadGovernanceSettings({ ...env, EVM_CHIEF: "0x12", EVM_MAX_FEE_PER_GAS: "-1" }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.variables.includes("EVM_CHIEF") &&
        e.variables.includes("EVM_MAX_FEE_PER_GAS"),
    );
  });
});
