import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { BurnRegistry } from "../../src/chains/burn-registry.js";
import { buildEvmRequest, buildTezosRequest, decodeRequest } from "../../src/chains/request.js";
import { encodeCall } from "../../src/chains/evm/abi.js";
import { IntegrityError, InvalidInputError, RefusedError } from "../../src/errors.js";
import {
  EVM_FROM,
  EVM_SUCCESSOR,
  KT1,
  MAINNET,
  OTHER_KT1,
  PROXY,
  STRANGER,
  TEZOS_SOURCE,
  TEZOS_STRANGER,
  TEZOS_SUCCESSOR,
  TOKEN,
  freshRegistry,
  revealed,
  transferOperation,
  transferTx,
  withdrawOperation,
} from "./fixtures.js";

const refused = (code: string) => (e: unknown) => e instanceof RefusedError && e.code === code;
const evm = (overrides: Record<string, unknown>) =>
  decodeRequest(buildEvmRequest({ tx: transferTx(overrides), from: EVM_FROM }));
const tezos = async (operation: Parameters<typeof buildTezosRequest>[0]["operation"]) =>
  decodeRequest(await buildTezosRequest({ operation, chainId: MAINNET }));

describe("burn registry", () => {
  it("refuses keys the ceremony never registered", async () => {
    const registry = freshRegistry();
    const decoded = await evm({});
    assert.throws(() => registry.assertMaySign(EVM_FROM, decoded), refused("KEY_NOT_REGISTERED"));
  });

  it("lets a fresh key sign once, then only the sweep to its successor", async () => {
    const registry = freshRegistry();
    registry.registerKey({ keyId: EVM_FROM, successor: EVM_SUCCESSOR });
    const first = await evm({ data: encodeCall("transfer", { to: STRANGER, amount: "5" }) });
    registry.recordSignature(EVM_FROM, first);
    assert.ok(registry.isBurned(EVM_FROM));

    const again = await evm({ nonce: "8", data: encodeCall("transfer", { to: STRANGER, amount: "5" }) });
    assert.throws(() => registry.assertMaySign(EVM_FROM, again), refused("KEY_BURNED"));
    const ethElsewhere = await evm({ nonce: "8", to: STRANGER, value: "1", gasLimit: "21000" });
    assert.throws(() => registry.assertMaySign(EVM_FROM, ethElsewhere), refused("KEY_BURNED"));
    const rotate = await evm({ nonce: "8", to: PROXY, data: encodeCall("rotateHot", { newHot: STRANGER }) });
    assert.throws(() => registry.assertMaySign(EVM_FROM, rotate), refused("KEY_BURNED"));
    const unknown = await evm({ nonce: "8", data: "0x095ea7b3" });
    assert.throws(() => registry.assertMaySign(EVM_FROM, unknown), refused("KEY_BURNED"));
    const transferPlusEth = await evm({
      nonce: "8",
      value: "1",
      data: encodeCall("transfer", { to: EVM_SUCCESSOR, amount: "5" }),
    });
    assert.throws(() => registry.assertMaySign(EVM_FROM, transferPlusEth), refused("KEY_BURNED"));

    for (const sweep of [
      await evm({ nonce: "8", to: PROXY, data: encodeCall("freeAll") }),
      await evm({ nonce: "9", to: PROXY, data: encodeCall("rescue", { token: TOKEN }) }),
      await evm({ nonce: "10", to: PROXY, data: encodeCall("rescueEth") }),
      await evm({ nonce: "11", data: encodeCall("transfer", { to: EVM_SUCCESSOR, amount: "5" }) }),
      await evm({ nonce: "12", to: EVM_SUCCESSOR, value: "100", gasLimit: "21000" }),
    ]) {
      registry.recordSignature(EVM_FROM, sweep);
    }
    assert.equal(registry.get(EVM_FROM)?.signed.length, 6);
  });

  it("allows re-signing an already recorded digest (crash recovery) without widening anything", async () => {
    const registry = freshRegistry();
    registry.registerKey({ keyId: EVM_FROM, successor: EVM_SUCCESSOR });
    const first = await evm({ to: STRANGER, value: "5", gasLimit: "21000" });
    registry.recordSignature(EVM_FROM, first);
    registry.recordSignature(EVM_FROM, first);
    assert.equal(registry.get(EVM_FROM)?.signed.length, 1);
  });

  it("limits post-burn contract calls to the contracts recorded at birth", async () => {
    const registry = freshRegistry();
    registry.registerKey({ keyId: TEZOS_SOURCE, successor: TEZOS_SUCCESSOR, contracts: [KT1] });
    registry.recordSignature(TEZOS_SOURCE, await tezos(revealed(transferOperation(TEZOS_STRANGER))));
    registry.assertMaySign(TEZOS_SOURCE, await tezos(withdrawOperation()));
    const elsewhere = await tezos(withdrawOperation("1", OTHER_KT1));
    assert.throws(() => registry.assertMaySign(TEZOS_SOURCE, elsewhere), refused("KEY_BURNED"));
    registry.assertMaySign(TEZOS_SOURCE, await tezos(transferOperation(TEZOS_SUCCESSOR)));
  });

  it("refuses a Tezos sweep to anything but the successor, and withdraws that send tez", async () => {
    const registry = freshRegistry();
    registry.registerKey({ keyId: TEZOS_SOURCE, successor: TEZOS_SUCCESSOR });
    registry.recordSignature(TEZOS_SOURCE, await tezos(revealed(withdrawOperation())));
    const away = await tezos(transferOperation(TEZOS_STRANGER));
    assert.throws(() => registry.assertMaySign(TEZOS_SOURCE, away), refused("KEY_BURNED"));
    const paying = withdrawOperation("7");
    paying.contents[0]!.amount = "1";
    const payingTez = await tezos(paying);
    assert.throws(() => registry.assertMaySign(TEZOS_SOURCE, payingTez), refused("KEY_BURNED"));
    const other = withdrawOperation("7");
    other.contents[0]!.parameters = { entrypoint: "set_delegate", value: { int: "7" } };
    const setDelegate = await tezos(other);
    assert.throws(() => registry.assertMaySign(TEZOS_SOURCE, setDelegate), refused("KEY_BURNED"));
    registry.assertMaySign(TEZOS_SOURCE, await tezos(transferOperation(TEZOS_SUCCESSOR)));
  });

  it("treats a key as burned when the request's nonce or missing reveal shows earlier use", async () => {
    const registry = freshRegistry();
    registry.registerKey({ keyId: EVM_FROM, successor: EVM_SUCCESSOR });
    registry.registerKey({ keyId: TEZOS_SOURCE, successor: TEZOS_SUCCESSOR });
    const used = await evm({ nonce: "1", to: STRANGER, value: "1", gasLimit: "21000" });
    assert.throws(() => registry.assertMaySign(EVM_FROM, used), refused("KEY_BURNED"));
    registry.assertMaySign(
      EVM_FROM,
      await evm({ nonce: "1", to: EVM_SUCCESSOR, value: "1", gasLimit: "21000" }),
    );
    const unrevealed = await tezos(transferOperation(TEZOS_STRANGER));
    assert.throws(() => registry.assertMaySign(TEZOS_SOURCE, unrevealed), refused("KEY_BURNED"));
    registry.assertMaySign(TEZOS_SOURCE, await tezos(revealed(transferOperation(TEZOS_STRANGER))));
  });

  it("refuses a request from another address than the key", async () => {
    const registry = freshRegistry();
    registry.registerKey({ keyId: TEZOS_SOURCE, successor: TEZOS_SUCCESSOR });
    registry.registerKey({ keyId: EVM_FROM, successor: EVM_SUCCESSOR });
    const decoded = await tezos(withdrawOperation());
    assert.throws(() => registry.assertMaySign(EVM_FROM, decoded), refused("KEY_MISMATCH"));
  });

  it("persists across reopening and detects edited or truncated files", async () => {
    const registry = freshRegistry();
    registry.registerKey({ keyId: EVM_FROM, successor: EVM_SUCCESSOR, contracts: [PROXY] });
    registry.recordSignature(EVM_FROM, await evm({}));
    const reopened = BurnRegistry.open(registry.path);
    assert.ok(reopened.isBurned(EVM_FROM));
    assert.equal(reopened.get(EVM_FROM.toLowerCase())?.successor, EVM_SUCCESSOR);

    const text = readFileSync(registry.path, "utf8");
    const lines = text.trimEnd().split("\n");
    writeFileSync(registry.path, `${lines[0]}\n`);
    const truncated = BurnRegistry.open(registry.path);
    // Dropping the last line cannot be seen in the chain, but the next request's nonce gives it away.
    assert.equal(truncated.isBurned(EVM_FROM), false);
    const next = await evm({ nonce: "1", to: STRANGER, value: "1", gasLimit: "21000" });
    assert.throws(() => truncated.assertMaySign(EVM_FROM, next), refused("KEY_BURNED"));
    writeFileSync(registry.path, `${lines[1]}\n`);
    assert.throws(() => BurnRegistry.open(registry.path), IntegrityError);
    writeFileSync(registry.path, text.replace(EVM_SUCCESSOR, STRANGER));
    assert.throws(() => BurnRegistry.open(registry.path), IntegrityError);
    writeFileSync(registry.path, text);
    assert.ok(BurnRegistry.open(registry.path).isBurned(EVM_FROM));
  });

  it("refuses to write when the file changed under it", async () => {
    const a = freshRegistry();
    a.registerKey({ keyId: EVM_FROM, successor: EVM_SUCCESSOR });
    const b = BurnRegistry.open(a.path);
    a.recordSignature(EVM_FROM, await evm({}));
    const sweep = await evm({ nonce: "1", to: EVM_SUCCESSOR, value: "1", gasLimit: "21000" });
    assert.throws(() => b.recordSignature(EVM_FROM, sweep), refused("REGISTRY_CHANGED"));
  });

  it("refuses a registry path in a folder that does not exist", () => {
    assert.throws(
      () => BurnRegistry.open("/nonexistent-coldpath-folder/burn.jsonl"),
      (e: unknown) => e instanceof InvalidInputError && e.field === "registryPath",
    );
  });

  it("validates registrations and never changes a recorded successor", () => {
    const registry = freshRegistry();
    const field = (fn: () => unknown, f: string) =>
      assert.throws(fn, (e: unknown) => e instanceof InvalidInputError && e.field === f);
    field(() => registry.registerKey({ keyId: "0x12", successor: EVM_SUCCESSOR }), "keyId");
    field(() => registry.registerKey({ keyId: EVM_FROM, successor: TEZOS_SUCCESSOR }), "successor");
    field(() => registry.registerKey({ keyId: TEZOS_SOURCE, successor: EVM_SUCCESSOR }), "successor");
    field(() => registry.registerKey({ keyId: EVM_FROM, successor: EVM_FROM }), "successor");
    field(
      () =>
        registry.registerKey({
          keyId: TEZOS_SOURCE,
          successor: TEZOS_SUCCESSOR,
          contracts: [TEZOS_STRANGER],
        }),
      "contracts[0]",
    );
    registry.registerKey({ keyId: EVM_FROM, successor: EVM_SUCCESSOR });
    registry.registerKey({ keyId: EVM_FROM.toLowerCase(), successor: EVM_SUCCESSOR.toLowerCase() });
    assert.throws(
      () => registry.registerKey({ keyId: EVM_FROM, successor: STRANGER }),
      refused("SUCCESSOR_ALREADY_RECORDED"),
    );
  });
});
