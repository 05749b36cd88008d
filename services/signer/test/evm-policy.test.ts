import { describe, it, before } from "node:test";
import { tempDir } from "./helpers/fixture.js";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AbiCoder, Transaction, decodeRlp, encodeRlp, getAddress, id, toBeHex } from "ethers";
import { InvalidInputError, PolicyRefusedError } from "../src/errors.js";
import { predictProxyAddress, proxyCreationCode } from "../src/allowlist/create2.js";
import { assembleLikeProxyArgs } from "../../api/test/governance/proxy-args-assembly.js";
import {
  COLD,
  CUSTOMER,
  FACTORY,
  IMPLEMENTATION,
  createProxyTx,
  journaledNonce,
  makeFixture,
  proxyAbi,
  unsignedTx,
} from "./helpers/fixture.js";
import type { Fixture } from "./helpers/fixture.js";

async function refused(p: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof PolicyRefusedError, `expected a policy refusal, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    return true;
  });
}

describe("CREATE2 creation code", () => {
  it("is byte for byte what ProxyArgs.creationCode's word writes assemble", () => {
    const source = readFileSync(
      new URL("../../../contracts/governance/ProxyArgs.sol", import.meta.url),
      "utf8",
    );
    for (const customerId of [CUSTOMER, "0x" + "00".repeat(32), "0x" + "00".repeat(16) + "ff".repeat(16)]) {
      assert.equal(
        proxyCreationCode(IMPLEMENTATION, COLD, FACTORY, customerId),
        assembleLikeProxyArgs(source, {
          implementation: IMPLEMENTATION,
          cold_: COLD,
          hot_: FACTORY,
          customerId_: customerId,
        }),
      );
    }
    assert.throws(() => proxyCreationCode(IMPLEMENTATION, COLD, FACTORY, "0x" + "ab".repeat(32)), RangeError);
  });
});

describe("EVM allowlist", () => {
  let f: Fixture;
  let proxy: string;

  // Each test starts from: proxy created at nonce 0, next nonce 1.
  before(async () => {
    f = await makeFixture();
    const { signedTx, intent } = await f.core.signEvm("evm-hot", createProxyTx(f.evmAddress));
    assert.equal(Transaction.from(signedTx).from, f.evmAddress);
    assert.equal(intent.kind, "createProxy");
    proxy = intent.proxy;
  });

  const nonce = (): number => journaledNonce(f.dir, f.evmAddress);

  it("learns the proxy address it computes from CREATE2, and persists it with fsync'd JSON lines", () => {
    assert.equal(proxy, predictProxyAddress(FACTORY, IMPLEMENTATION, CUSTOMER, COLD, f.evmAddress));
    const lines = readFileSync(join(f.dir, "learned.jsonl"), "utf8").trim().split("\n");
    assert.equal(JSON.parse(lines[0]!).address, proxy);
    assert.equal(nonce(), 1);
  });

  it("signs lock, free, freeAll, vote(address[]) and vote(bytes32) on a learned proxy, advancing the nonce", async () => {
    const calls = [
      proxyAbi.encodeFunctionData("lock", [10n ** 18n]),
      proxyAbi.encodeFunctionData("free", [1n]),
      proxyAbi.encodeFunctionData("freeAll", []),
      proxyAbi.encodeFunctionData("vote(address[])", [
        [getAddress("0x" + "11".repeat(20)), getAddress("0x" + "22".repeat(20))],
      ]),
      proxyAbi.encodeFunctionData("vote(bytes32)", ["0x" + "33".repeat(32)]),
    ];
    for (const data of calls) {
      const n = nonce();
      const { signedTx, hash } = await f.core.signEvm("evm-hot", unsignedTx({ to: proxy, nonce: n, data }));
      const tx = Transaction.from(signedTx);
      assert.equal(tx.from, f.evmAddress);
      assert.equal(tx.hash, hash);
      assert.equal(tx.data, data);
      assert.equal(nonce(), n + 1);
    }
  });

  describe("refuses, whatever the caller says, and changes nothing", () => {
    const cases: [string, string, () => string][] = [
      [
        "rotateHot",
        "EVM_FORBIDDEN_CALL",
        () =>
          unsignedTx({ to: proxy, nonce: nonce(), data: proxyAbi.encodeFunctionData("rotateHot", [COLD]) }),
      ],
      [
        "rescue",
        "EVM_FORBIDDEN_CALL",
        () => unsignedTx({ to: proxy, nonce: nonce(), data: proxyAbi.encodeFunctionData("rescue", [COLD]) }),
      ],
      [
        "rescueEth",
        "EVM_FORBIDDEN_CALL",
        () => unsignedTx({ to: proxy, nonce: nonce(), data: proxyAbi.encodeFunctionData("rescueEth", []) }),
      ],
      [
        "an ERC-20 transfer from the proxy",
        "EVM_FORBIDDEN_CALL",
        () =>
          unsignedTx({
            to: proxy,
            nonce: nonce(),
            data: proxyAbi.encodeFunctionData("transfer", [COLD, 1n]),
          }),
      ],
      [
        "an ERC-20 transfer on another contract",
        "EVM_UNKNOWN_TARGET",
        () =>
          unsignedTx({ to: COLD, nonce: nonce(), data: proxyAbi.encodeFunctionData("transfer", [COLD, 1n]) }),
      ],
      ["a plain ETH transfer", "EVM_VALUE", () => unsignedTx({ to: COLD, nonce: nonce(), value: 1n })],
      [
        "a zero-value call to an unknown address",
        "EVM_UNKNOWN_TARGET",
        () => unsignedTx({ to: COLD, nonce: nonce(), data: "0x" }),
      ],
      [
        "an unknown selector",
        "EVM_UNKNOWN_SELECTOR",
        () => unsignedTx({ to: proxy, nonce: nonce(), data: "0xdeadbeef" }),
      ],
      [
        "empty calldata to a proxy",
        "EVM_UNKNOWN_SELECTOR",
        () => unsignedTx({ to: proxy, nonce: nonce(), data: "0x" }),
      ],
      [
        "lock with value",
        "EVM_VALUE",
        () =>
          unsignedTx({
            to: proxy,
            nonce: nonce(),
            value: 1n,
            data: proxyAbi.encodeFunctionData("lock", [1n]),
          }),
      ],
      [
        "another chain id",
        "EVM_CHAIN_ID",
        () =>
          unsignedTx({
            to: proxy,
            nonce: nonce(),
            chainId: 1n,
            data: proxyAbi.encodeFunctionData("lock", [1n]),
          }),
      ],
      [
        "contract creation",
        "EVM_CONTRACT_CREATION",
        () => unsignedTx({ to: null, nonce: nonce(), data: "0x6000" }),
      ],
      [
        "an access list",
        "EVM_ACCESS_LIST",
        () =>
          unsignedTx({
            to: proxy,
            nonce: nonce(),
            accessList: [{ address: COLD, storageKeys: [] }],
            data: proxyAbi.encodeFunctionData("lock", [1n]),
          }),
      ],
      ["createProxy for another hot key", "EVM_HOT_MISMATCH", () => createProxyTx(COLD, nonce())],
      [
        "createProxy with the hot key as cold",
        "EVM_BAD_COLD",
        () =>
          unsignedTx({
            to: FACTORY,
            nonce: nonce(),
            data: proxyAbi.encodeFunctionData("createProxy", [CUSTOMER, f.evmAddress, f.evmAddress]),
          }),
      ],
      [
        "createProxy with a customerId beyond 128 bits",
        "EVM_BAD_CUSTOMER_ID",
        () => createProxyTx(f.evmAddress, nonce(), "0x" + "00".repeat(15) + "01" + "00".repeat(16)),
      ],
      [
        "lock with trailing bytes",
        "EVM_BAD_CALLDATA",
        () =>
          unsignedTx({ to: proxy, nonce: nonce(), data: proxyAbi.encodeFunctionData("lock", [1n]) + "00" }),
      ],
      [
        "lock truncated",
        "EVM_BAD_CALLDATA",
        () =>
          unsignedTx({
            to: proxy,
            nonce: nonce(),
            data: proxyAbi.encodeFunctionData("lock", [1n]).slice(0, -2),
          }),
      ],
      [
        "vote with a dirty address word",
        "EVM_BAD_CALLDATA",
        () =>
          unsignedTx({
            to: proxy,
            nonce: nonce(),
            data: proxyAbi
              .encodeFunctionData("vote(address[])", [[COLD]])
              .replace(/0{24}(0{34}0c01d5)$/, "ff".repeat(12) + "$1"),
          }),
      ],
      [
        "vote with a non-canonical array offset",
        "EVM_BAD_CALLDATA",
        () =>
          unsignedTx({
            to: proxy,
            nonce: nonce(),
            data:
              id("vote(address[])").slice(0, 10) +
              AbiCoder.defaultAbiCoder().encode(["uint256", "uint256", "uint256"], [64n, 0n, 0n]).slice(2),
          }),
      ],
      [
        "too many vote candidates",
        "EVM_TOO_MANY_CANDIDATES",
        () =>
          unsignedTx({
            to: proxy,
            nonce: nonce(),
            data: proxyAbi.encodeFunctionData("vote(address[])", [
              Array.from({ length: 6 }, (_, i) => getAddress("0x" + String(i + 1).padStart(40, "0"))),
            ]),
          }),
      ],
      [
        "freeAll with arguments",
        "EVM_BAD_CALLDATA",
        () =>
          unsignedTx({
            to: proxy,
            nonce: nonce(),
            data: proxyAbi.encodeFunctionData("freeAll", []) + "00".repeat(32),
          }),
      ],
    ];
    for (const [name, reason, build] of cases) {
      it(`${name} (${reason})`, async () => {
        const before = nonce();
        const auditBefore = readFileSync(join(f.dir, "audit.jsonl"), "utf8").trim().split("\n").length;
        await refused(f.core.signEvm("evm-hot", build()), reason);
        assert.equal(nonce(), before, "a refusal must not advance the nonce");
        const lines = readFileSync(join(f.dir, "audit.jsonl"), "utf8").trim().split("\n");
        assert.equal(lines.length, auditBefore + 1);
        const record = JSON.parse(lines.at(-1)!);
        assert.equal(record.outcome, "refused");
        assert.equal(record.reason, reason);
        assert.equal(record.keyId, "evm-hot");
        assert.match(record.digest, /^[0-9a-f]{64}$/);
      });
    }

    it("names the customerId beyond 128 bits it refuses, and signs 2^128 - 1", async () => {
      const tooBig = "0x" + "00".repeat(15) + "01" + "00".repeat(16);
      await assert.rejects(
        f.core.signEvm("evm-hot", createProxyTx(f.evmAddress, nonce(), tooBig)),
        (e: unknown) => {
          assert.ok(e instanceof PolicyRefusedError);
          assert.equal(e.reason, "EVM_BAD_CUSTOMER_ID");
          assert.equal(e.field, "customerId");
          assert.equal(e.value, tooBig);
          return true;
        },
      );
      const max = "0x" + "00".repeat(16) + "ff".repeat(16);
      const { intent } = await f.core.signEvm("evm-hot", createProxyTx(f.evmAddress, nonce(), max));
      assert.ok(intent.kind === "createProxy");
      assert.equal(intent.proxy, predictProxyAddress(FACTORY, IMPLEMENTATION, max, COLD, f.evmAddress));
    });

    it("legacy and EIP-2930 transactions (EVM_TX_TYPE)", async () => {
      const data = proxyAbi.encodeFunctionData("lock", [1n]);
      const legacy = Transaction.from({
        type: 0,
        chainId: 31337n,
        nonce: nonce(),
        gasPrice: 1n,
        gasLimit: 100000n,
        to: proxy,
        data,
      }).unsignedSerialized;
      const t1 = Transaction.from({
        type: 1,
        chainId: 31337n,
        nonce: nonce(),
        gasPrice: 1n,
        gasLimit: 100000n,
        to: proxy,
        data,
      }).unsignedSerialized;
      await refused(f.core.signEvm("evm-hot", legacy), "EVM_TX_TYPE");
      await refused(f.core.signEvm("evm-hot", t1), "EVM_TX_TYPE");
    });

    it("a non-canonical RLP encoding (leading zero in the nonce) is refused, not reinterpreted", async () => {
      const ok = unsignedTx({ to: proxy, nonce: nonce(), data: proxyAbi.encodeFunctionData("lock", [1n]) });
      const fields = decodeRlp("0x" + ok.slice(4)) as string[];
      fields[1] = "0x00" + toBeHex(nonce()).slice(2);
      const before = nonce();
      await assert.rejects(
        f.core.signEvm("evm-hot", "0x02" + encodeRlp(fields).slice(2)),
        (e: unknown) => e instanceof PolicyRefusedError || e instanceof InvalidInputError,
      );
      assert.equal(nonce(), before);
    });

    it("a signed transaction passed as unsigned (EVM_ALREADY_SIGNED)", async () => {
      const { signedTx } = await f.core.signEvm(
        "evm-hot",
        unsignedTx({ to: proxy, nonce: nonce(), data: proxyAbi.encodeFunctionData("lock", [5n]) }),
      );
      await refused(f.core.signEvm("evm-hot", signedTx), "EVM_ALREADY_SIGNED");
    });
  });

  describe("nonces", () => {
    it("refuses a replay of a used nonce and a gap, then accepts the expected one", async () => {
      const data = proxyAbi.encodeFunctionData("lock", [1n]);
      const n = nonce();
      await refused(
        f.core.signEvm("evm-hot", unsignedTx({ to: proxy, nonce: n - 1, data })),
        "EVM_NONCE_REPLAY",
      );
      await refused(
        f.core.signEvm("evm-hot", unsignedTx({ to: proxy, nonce: n + 1, data })),
        "EVM_NONCE_GAP",
      );
      await f.core.signEvm("evm-hot", unsignedTx({ to: proxy, nonce: n, data }));
      assert.equal(nonce(), n + 1);
    });

    it("signs two concurrent requests at the same nonce only once", async () => {
      const n = nonce();
      const data = proxyAbi.encodeFunctionData("lock", [2n]);
      const results = await Promise.allSettled([
        f.core.signEvm("evm-hot", unsignedTx({ to: proxy, nonce: n, data })),
        f.core.signEvm("evm-hot", unsignedTx({ to: proxy, nonce: n, data, gasLimit: 200_000n })),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
      assert.equal(nonce(), n + 1);
    });

    it("resyncs explicitly and refuses an unsynced key", async () => {
      await f.core.resyncNonce("evm-hot", 40n);
      assert.equal(nonce(), 40);
      await refused(
        f.core.signEvm(
          "evm-hot",
          unsignedTx({ to: proxy, nonce: 39, data: proxyAbi.encodeFunctionData("freeAll", []) }),
        ),
        "EVM_NONCE_REPLAY",
      );
      await f.core.signEvm(
        "evm-hot",
        unsignedTx({ to: proxy, nonce: 40, data: proxyAbi.encodeFunctionData("freeAll", []) }),
      );
      const fresh = await makeFixture();
      await fresh.deps.backend.generateKey("imported", "secp256k1");
      const imported = (await fresh.core.listKeys()).find((k) => k.keyId === "imported")!;
      await refused(fresh.core.signEvm("imported", createProxyTx(imported.address)), "EVM_NONCE_UNKNOWN");
    });
  });

  describe("fee caps: just below, at, just above", () => {
    const data = (): string => proxyAbi.encodeFunctionData("lock", [1n]);
    for (const [field, cap, reason] of [
      ["gasLimit", 1_000_000n, "EVM_GAS_LIMIT"],
      ["maxFeePerGas", 100_000_000_000n, "EVM_MAX_FEE"],
    ] as const) {
      it(`${field} around ${cap}`, async () => {
        for (const v of [cap - 1n, cap]) {
          await f.core.signEvm(
            "evm-hot",
            unsignedTx({ to: proxy, nonce: nonce(), data: data(), [field]: v }),
          );
        }
        await refused(
          f.core.signEvm(
            "evm-hot",
            unsignedTx({ to: proxy, nonce: nonce(), data: data(), [field]: cap + 1n }),
          ),
          reason,
        );
      });
    }
    it("maxPriorityFeePerGas around maxFeePerGas", async () => {
      const maxFeePerGas = 5_000_000_000n;
      for (const tip of [maxFeePerGas - 1n, maxFeePerGas]) {
        await f.core.signEvm(
          "evm-hot",
          unsignedTx({ to: proxy, nonce: nonce(), data: data(), maxFeePerGas, maxPriorityFeePerGas: tip }),
        );
      }
      // ethers will not serialise tip > maxFee, so the field is swapped in the RLP by hand.
      const ok = unsignedTx({
        to: proxy,
        nonce: nonce(),
        data: data(),
        maxFeePerGas,
        maxPriorityFeePerGas: 1n,
      });
      const fields = decodeRlp("0x" + ok.slice(4)) as string[];
      fields[2] = toBeHex(maxFeePerGas + 1n);
      await refused(f.core.signEvm("evm-hot", "0x02" + encodeRlp(fields).slice(2)), "EVM_PRIORITY_FEE");
    });
  });

  it("refuses calls to a proxy learned for another key", async () => {
    await f.deps.backend.generateKey("evm-hot-2", "secp256k1");
    const other = (await f.core.listKeys()).find((k) => k.keyId === "evm-hot-2")!;
    await f.core.resyncNonce("evm-hot-2", 0n);
    await refused(
      f.core.signEvm(
        "evm-hot-2",
        unsignedTx({ to: proxy, nonce: 0, data: proxyAbi.encodeFunctionData("lock", [1n]) }),
      ),
      "EVM_PROXY_OTHER_KEY",
    );
    assert.notEqual(other.address, f.evmAddress);
  });

  it("accepts an operator allowlist file", async () => {
    const { writeFileSync } = await import("node:fs");
    const path = join(tempDir("allow-"), "allow.txt");
    const listed = getAddress("0x" + "44".repeat(20));
    writeFileSync(path, `# listed by the operator\n${listed}\n`);
    const g = await makeFixture({ allowlist: path });
    const { signedTx } = await g.core.signEvm(
      "evm-hot",
      unsignedTx({ to: listed, nonce: 0, data: proxyAbi.encodeFunctionData("lock", [1n]) }),
    );
    assert.equal(Transaction.from(signedTx).to, listed);
  });

  it("keeps learned proxies and nonces across a restart", async () => {
    const { KnownContracts } = await import("../src/state/known-contracts.js");
    const { NonceStore } = await import("../src/state/nonces.js");
    const known = new KnownContracts(join(f.dir, "learned.jsonl"));
    assert.equal(known.hotOf(proxy), f.evmAddress);
    assert.equal(new NonceStore(join(f.dir, "nonces.jsonl")).get(31337n, f.evmAddress), BigInt(nonce()));
  });
});
