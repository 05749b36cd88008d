import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Transaction } from "ethers";
import { ed25519 } from "@noble/curves/ed25519.js";
import { verifySignature } from "@taquito/utils";
import { prepareEvmSweep, prepareTezosSweep } from "../../src/chains/sweep.js";
import { decodeRequest, type DecodedEvmRequest, type DecodedTezosRequest } from "../../src/chains/request.js";
import { confirm } from "../../src/chains/display.js";
import { signEvmRequest } from "../../src/chains/evm/sign.js";
import { attachSignature, prepareTezosSigning } from "../../src/chains/tezos/sign.js";
import { InvalidInputError, RefusedError } from "../../src/errors.js";
import {
  EVM_FROM,
  EVM_KEY,
  EVM_SUCCESSOR,
  KT1,
  MAINNET,
  BRANCH,
  PROXY,
  STRANGER,
  TEZOS_EDPK,
  TEZOS_SEED,
  TEZOS_SOURCE,
  TEZOS_SUCCESSOR,
  TOKEN,
  freshRegistry,
  revealed,
  withdrawOperation,
} from "./fixtures.js";

const GWEI = 1_000_000_000n;

function evmSweepInput() {
  return {
    chainId: "1",
    chainName: "mainnet",
    from: EVM_FROM,
    successor: EVM_SUCCESSOR,
    nonce: "1",
    maxFeePerGas: (30n * GWEI).toString(),
    maxPriorityFeePerGas: GWEI.toString(),
    proxy: { address: PROXY, rescueTokens: [STRANGER], rescueEth: true },
    tokens: [{ address: TOKEN, amount: "5000000000000000000", symbol: "DAI", decimals: 18 }],
    ethBalance: (10n ** 17n).toString(),
  };
}

describe("EVM sweep", () => {
  it("prepares freeAll, rescue, rescueEth, the token transfer and the ETH remainder, in nonce order", async () => {
    const plan = prepareEvmSweep(evmSweepInput());
    const decoded = (await Promise.all(plan.requests.map((r) => decodeRequest(r)))) as DecodedEvmRequest[];
    assert.deepEqual(
      decoded.map((d) => d.summary.call),
      ["freeAll()", "rescue(address)", "rescueEth()", "transfer(address,uint256)", "none"],
    );
    assert.deepEqual(
      decoded.map((d) => d.tx.nonce),
      [1n, 2n, 3n, 4n, 5n],
    );
    assert.deepEqual(
      decoded.slice(0, 3).map((d) => d.tx.to),
      [PROXY, PROXY, PROXY],
    );
    assert.equal(decoded[1]?.summary.args.token, STRANGER);
    assert.equal(decoded[3]?.tx.to, TOKEN);
    assert.deepEqual(decoded[3]?.summary.args, { to: EVM_SUCCESSOR, amount: "5000000000000000000" });
    assert.equal(decoded[3]?.hints.tokens?.[TOKEN.toLowerCase()]?.symbol, "DAI");
    const last = decoded[4]!;
    assert.equal(last.tx.to, EVM_SUCCESSOR);
    assert.equal(last.tx.gasLimit, 21000n);
    const fees = (3n * 200_000n + 100_000n + 21_000n) * 30n * GWEI;
    assert.equal(plan.maxFees, fees);
    assert.equal(last.tx.value, 10n ** 17n - fees);
    assert.equal(plan.ethSwept, last.tx.value);
  });

  it("is signable by the burned key, each request recovered by ethers", async () => {
    const registry = freshRegistry();
    registry.registerKey({ keyId: EVM_FROM, successor: EVM_SUCCESSOR, contracts: [PROXY] });
    const plan = prepareEvmSweep(evmSweepInput());
    for (const request of plan.requests) {
      const confirmation = await confirm(await decodeRequest(request), { expectedDigest: request.digest });
      const { signed } = await signEvmRequest(request, EVM_KEY, { registry, confirmation });
      assert.equal(Transaction.from(signed.raw).from, EVM_FROM);
    }
    assert.equal(registry.get(EVM_FROM)?.signed.length, plan.requests.length);
  });

  it("leaves out the ETH transfer when fees would eat it, and refuses when fees cannot be paid", () => {
    const input = evmSweepInput();
    const fees = (3n * 200_000n + 100_000n) * 30n * GWEI;
    const noEth = prepareEvmSweep({ ...input, ethBalance: (fees + 21_000n * 30n * GWEI).toString() });
    assert.equal(noEth.requests.length, 4);
    assert.equal(noEth.ethSwept, 0n);
    const oneWei = prepareEvmSweep({ ...input, ethBalance: (fees + 21_000n * 30n * GWEI + 1n).toString() });
    assert.equal(oneWei.ethSwept, 1n);
    assert.throws(
      () => prepareEvmSweep({ ...input, ethBalance: (fees - 1n).toString() }),
      (e: unknown) => e instanceof RefusedError && e.code === "INSUFFICIENT_FUNDS_FOR_FEES",
    );
  });

  it("refuses bad input, naming the field", () => {
    const field = (over: Record<string, unknown>, f: string) =>
      assert.throws(
        () => prepareEvmSweep({ ...evmSweepInput(), ...over } as never),
        (e: unknown) => e instanceof InvalidInputError && e.field === f,
      );
    field({ successor: "0x12" }, "successor");
    field({ successor: EVM_FROM }, "successor");
    field({ ethBalance: "-1" }, "ethBalance");
    field({ tokens: [{ address: TOKEN, amount: "-5" }] }, "tokens[0].amount");
    field(
      {
        tokens: [
          { address: TOKEN, amount: "1" },
          { address: TOKEN, amount: "2" },
        ],
      },
      "tokens[1].address",
    );
    field({ proxy: { address: PROXY, rescueTokens: ["0xnope"] } }, "proxy.rescueTokens[0]");
  });
});

describe("Tezos sweep", () => {
  const input = {
    chainId: MAINNET,
    branch: BRANCH,
    source: TEZOS_SOURCE,
    successor: TEZOS_SUCCESSOR,
    counter: "43",
    balance: "1000000",
    contract: { address: KT1, balance: "5000000", fee: "2000", gasLimit: "6000", storageLimit: "0" },
    transfer: { fee: "500", gasLimit: "1000", storageLimit: "0" },
  };

  it("prepares %withdraw of the contract balance, then the transfer of everything left minus fees", async () => {
    const plan = await prepareTezosSweep(input);
    assert.equal(plan.requests.length, 2);
    const [withdraw, transfer] = (await Promise.all(
      plan.requests.map((r) => decodeRequest(r)),
    )) as DecodedTezosRequest[];
    assert.deepEqual(withdraw?.summary.operations[0], {
      kind: "transaction",
      counter: "44",
      fee: "2000",
      gasLimit: "6000",
      storageLimit: "0",
      destination: KT1,
      amount: "0",
      entrypoint: "withdraw",
      parameter: "5000000",
    });
    assert.equal(transfer?.summary.operations[0]?.destination, TEZOS_SUCCESSOR);
    assert.equal(transfer?.summary.operations[0]?.counter, "45");
    assert.equal(
      transfer?.summary.operations[0]?.amount,
      (1_000_000n + 5_000_000n - 2_000n - 500n).toString(),
    );
    assert.equal(plan.swept, 5_997_500n);
  });

  it("counts storage burn and a reveal, and refuses when nothing would be left", async () => {
    const plan = await prepareTezosSweep({
      ...input,
      reveal: { publicKey: TEZOS_EDPK, fee: "400", gasLimit: "1000" },
      transfer: { fee: "500", gasLimit: "1000", storageLimit: "277" },
    });
    const first = (await decodeRequest(plan.requests[0])) as DecodedTezosRequest;
    assert.deepEqual(
      first.summary.operations.map((o) => o.kind),
      ["reveal", "transaction"],
    );
    assert.equal(plan.swept, 6_000_000n - 2_000n - 500n - 400n - 277n * 250n);
    await assert.rejects(
      prepareTezosSweep({ ...input, balance: "0", contract: undefined }),
      (e: unknown) => e instanceof RefusedError && e.code === "INSUFFICIENT_FUNDS_FOR_FEES",
    );
    await assert.rejects(
      prepareTezosSweep({ ...input, successor: KT1 }),
      (e: unknown) => e instanceof InvalidInputError && e.field === "successor",
    );
    await assert.rejects(
      prepareTezosSweep({ ...input, contract: { ...input.contract, address: TEZOS_SUCCESSOR } }),
      (e: unknown) => e instanceof InvalidInputError && e.field === "contract.address",
    );
  });

  it("is signable by the burned key and verified by Taquito", async () => {
    const registry = freshRegistry();
    registry.registerKey({ keyId: TEZOS_SOURCE, successor: TEZOS_SUCCESSOR, contracts: [KT1] });
    const firstUse = await (
      await import("../../src/chains/request.js")
    ).buildTezosRequest({
      operation: revealed(withdrawOperation()),
      chainId: MAINNET,
    });
    const plan = await prepareTezosSweep(input);
    for (const request of [firstUse, ...plan.requests]) {
      const confirmation = await confirm(await decodeRequest(request), { expectedDigest: request.digest });
      const payload = await prepareTezosSigning(request, TEZOS_EDPK, { registry, confirmation });
      const signed = attachSignature(payload.forged, ed25519.sign(payload.message, TEZOS_SEED), TEZOS_EDPK);
      assert.ok(verifySignature(request.unsigned.slice(2), TEZOS_EDPK, signed.signature, Uint8Array.of(3)));
    }
    assert.equal(registry.get(TEZOS_SOURCE)?.signed.length, 3);
  });
});
