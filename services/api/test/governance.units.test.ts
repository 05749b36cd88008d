import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ZeroAddress, dataLength, dataSlice, id } from "ethers";
import { ValidationError } from "../../shared/src/errors.js";
import { ConfigError } from "../../shared/src/errors.js";
import {
  PROXY_CONSTRUCTOR_LENGTH,
  PROXY_RUNTIME_LENGTH,
  customerIdLow16,
  customerSalt,
  predictProxyAddress,
  proxyCreationCode,
  proxyRuntimeCode,
} from "../src/governance/create2.js";
import { factoryInterface, proxyInterface } from "../src/governance/abi.js";
import { parseVote, parseWad } from "../src/governance/governance.dto.js";
import { isAnonymousVoted, parseProxyLog } from "../src/governance/proxy-logs.js";
import { indexedEventsInterface } from "../src/indexer/evm-reader.js";
import { assembleLikeProxyArgs } from "./governance/proxy-args-assembly.js";
import { loadGovernanceSettings } from "../src/governance/settings.js";
import { chooseFees, chooseGasLimit } from "../src/outbox/fees.js";

const MAX = (1n << 256n) - 1n;
const PROXY_ARGS_SOURCE = readFileSync(
  new URL("../../../contracts/governance/ProxyArgs.sol", import.meta.url),
  "utf8",
);
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
    const s = "0x" + "00".repeat(16) + "ab".repeat(16);
    const base = predictProxyAddress(f, i, s, c, h);
    assert.notEqual(predictProxyAddress(f, i, s, h, c), base);
    assert.notEqual(predictProxyAddress(f, i, "0x" + "00".repeat(16) + "ac".repeat(16), c, h), base);
    assert.notEqual(predictProxyAddress(f, h, s, c, h), base);
  });
  it("lays out the clone as ProxyArgs.sol does: 80-byte constructor, 165-byte runtime", () => {
    const i = "0x856e4424f806D16E8CBC702B3c0F2ede5468eae5";
    const chief = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
    const c = "0x00000000000000000000000000000000000c01d5";
    const h = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    const s = "0x" + "00".repeat(16) + "ab".repeat(16);
    const runtime = proxyRuntimeCode(i, chief, c, h, s);
    assert.equal(dataLength(runtime), PROXY_RUNTIME_LENGTH);
    assert.equal(PROXY_RUNTIME_LENGTH, 165);
    assert.equal(dataSlice(runtime, 0x1f, 0x33), h.toLowerCase());
    assert.equal(dataSlice(runtime, 0x3c, 0x50), chief.toLowerCase());
    assert.equal(dataSlice(runtime, 0x68, 0x7c), i.toLowerCase());
    assert.equal(dataSlice(runtime, 0x81, 0x95), c.toLowerCase());
    assert.equal(dataSlice(runtime, 0x95), "0x" + "ab".repeat(16));
    const creation = proxyCreationCode(i, c, h, s);
    assert.equal(PROXY_CONSTRUCTOR_LENGTH, 80);
    assert.equal(dataLength(creation), PROXY_CONSTRUCTOR_LENGTH + PROXY_RUNTIME_LENGTH);
    // The creation code carries a zero chief, which the constructor reads from the factory.
    assert.equal(dataSlice(creation, PROXY_CONSTRUCTOR_LENGTH), proxyRuntimeCode(i, ZeroAddress, c, h, s));
  });
  it("produces byte for byte what ProxyArgs.creationCode's word writes assemble", () => {
    const i = "0x856e4424f806D16E8CBC702B3c0F2ede5468eae5";
    const c = "0x00000000000000000000000000000000000c01d5";
    const h = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    for (const low of ["00".repeat(16), "ff".repeat(16), "0b8e4c1a2f3d4e5f8a9b0c1d2e3f4a5b"]) {
      const s = "0x" + "00".repeat(16) + low;
      const args = { implementation: i, cold_: c, hot_: h, customerId_: s };
      assert.equal(proxyCreationCode(i, c, h, s), assembleLikeProxyArgs(PROXY_ARGS_SOURCE, args));
    }
    // Every input lands somewhere the assembly puts it: a different one changes the code.
    const s = customerSalt("0b8e4c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b");
    const other = "0x1111111111111111111111111111111111111111";
    assert.equal(
      proxyCreationCode(other, other, other, s),
      assembleLikeProxyArgs(PROXY_ARGS_SOURCE, {
        implementation: other,
        cold_: other,
        hot_: other,
        customerId_: s,
      }),
    );
  });
  it("refuses a customerId beyond 128 bits, as the factory does, and accepts 2^128 - 1", () => {
    const [f, i, c, h] = [
      "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
      "0x856e4424f806D16E8CBC702B3c0F2ede5468eae5",
      "0x00000000000000000000000000000000000c01d5",
      "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    ];
    const max = "0x" + "00".repeat(16) + "ff".repeat(16);
    assert.match(predictProxyAddress(f, i, max, c, h), /^0x[0-9a-fA-F]{40}$/);
    const tooBig = "0x" + "00".repeat(15) + "01" + "00".repeat(16);
    for (const bad of [tooBig, "0x" + "ab".repeat(32), "0x" + "00".repeat(31), "0x" + "00".repeat(33)]) {
      assert.throws(() => predictProxyAddress(f, i, bad, c, h), refusal("invalid_customer_id", "customerId"));
      assert.throws(() => proxyRuntimeCode(i, i, c, h, bad), refusal("invalid_customer_id", "customerId"));
    }
    assert.equal(customerIdLow16(max), "0x" + "ff".repeat(16));
  });
});

describe("proxy logs", () => {
  const slate = "0x" + "5a".repeat(32);
  it("reads a log with the slate as its only topic and no data as the anonymous Voted", () => {
    for (const iface of [proxyInterface, indexedEventsInterface]) {
      const parsed = parseProxyLog(iface, { topics: [slate], data: "0x" });
      assert.equal(parsed?.name, "Voted");
      assert.equal(parsed?.args[0], slate);
      assert.equal(parsed?.args["slate"], slate);
    }
  });
  it("keeps ChiefIouApproved() (one topic, no data) apart from Voted", () => {
    const topic = id("ChiefIouApproved()");
    assert.equal(isAnonymousVoted({ topics: [topic], data: "0x" }), false);
    assert.equal(
      parseProxyLog(indexedEventsInterface, { topics: [topic], data: "0x" })?.name,
      "ChiefIouApproved",
    );
    // The governance view's interface does not list it: not an event it reports.
    assert.equal(parseProxyLog(proxyInterface, { topics: [topic], data: "0x" }), null);
  });
  it("decodes the proxy's other events by topic0, even when a slate equals one of their topics", () => {
    const locked = proxyInterface.getEvent("Locked")!.topicHash;
    const wad = "0x" + "00".repeat(31) + "07";
    const parsed = parseProxyLog(proxyInterface, { topics: [locked], data: wad });
    assert.equal(parsed?.name, "Locked");
    assert.equal(parsed?.args[0], 7n);
    // A vote for a slate equal to Locked's topic hash is still a vote: it has no data.
    assert.equal(parseProxyLog(proxyInterface, { topics: [locked], data: "0x" })?.name, "Voted");
    // Two topics, or data, is not the anonymous Voted.
    assert.equal(isAnonymousVoted({ topics: [slate, slate], data: "0x" }), false);
    assert.equal(isAnonymousVoted({ topics: [slate], data: wad }), false);
    assert.equal(parseProxyLog(proxyInterface, { topics: [slate], data: wad }), null);
  });
  it("parses the factory's ProxyCreated with only the proxy indexed", () => {
    const proxy = "0x1111111111111111111111111111111111111111";
    const cold = "0x2222222222222222222222222222222222222222";
    const hot = "0x3333333333333333333333333333333333333333";
    const customerId = customerSalt("0b8e4c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b");
    const log = factoryInterface.encodeEventLog("ProxyCreated", [customerId, proxy, cold, hot]);
    assert.equal(log.topics.length, 2);
    const parsed = indexedEventsInterface.parseLog(log)!;
    assert.equal(parsed.name, "ProxyCreated");
    assert.deepEqual(
      [parsed.args["customerId"], parsed.args["proxy"], parsed.args["cold"], parsed.args["hot"]],
      [customerId, proxy, cold, hot],
    );
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
