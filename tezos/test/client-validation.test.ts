/**
 * Bad input to the client gets a typed error naming the field, and nothing reaches the node.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { TezosToolkit } from "@taquito/taquito";
import { startSandbox } from "../sandbox/index.js";
import type { RunningSandbox } from "../sandbox/index.js";
import {
  DelegationClient,
  InvalidAddressError,
  InvalidAmountError,
  InvalidInputError,
  MAX_MUTEZ,
  SoftwareEd25519Signer,
  TaquitoSignerAdapter,
  WrongKeyTypeError,
} from "../src/index.js";

const TZ1 = "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb";
const TZ1_BAD_CHECKSUM = "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcja";
const TZ2 = "tz2BFTyPeYRzxd5aiBchbXN3WCZhx7BqbMBq";
const TZ3 = "tz3WXYtyDUNL91qfiCJtVUX746QpNv5i5ve5";
const KT1 = "KT1BEqzn5Wx8uJrZNvuS9DVHmLvG9td3fDLi";
const KT1_BAD = "KT1BEqzn5Wx8uJrZNvuS9DVHmLvG9td3fDLj";

function isError<T extends InvalidInputError>(cls: new (...a: never[]) => T, field: string, code: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    assert.equal(e.field, field);
    assert.equal(e.code, code);
    return true;
  };
}

describe("DelegationClient input validation", () => {
  let sandbox: RunningSandbox;
  let client: DelegationClient;
  let requests = 0;

  before(async () => {
    sandbox = await startSandbox({ onRequest: () => requests++ });
    const tezos = new TezosToolkit(sandbox.url);
    tezos.setSignerProvider(new TaquitoSignerAdapter(SoftwareEd25519Signer.generate()));
    client = new DelegationClient(tezos, { pollingIntervalMs: 5 });
  });

  after(async () => {
    assert.equal(requests, 0, "no request may reach the node for bad input");
    await sandbox.close();
  });

  it("refuses a tz1 with a bad checksum", async () => {
    await assert.rejects(
      client.originate({ cold: TZ1_BAD_CHECKSUM, hot: TZ1 }),
      isError(InvalidAddressError, "cold", "TEZOS_INVALID_ADDRESS"),
    );
  });

  it("refuses tz2 and tz3 hot keys as the wrong key type", async () => {
    await assert.rejects(
      client.originate({ cold: TZ1, hot: TZ2 }),
      isError(WrongKeyTypeError, "hot", "TEZOS_WRONG_KEY_TYPE"),
    );
    await assert.rejects(
      client.originate({ cold: TZ1, hot: TZ3 }),
      isError(WrongKeyTypeError, "hot", "TEZOS_WRONG_KEY_TYPE"),
    );
    await assert.rejects(
      client.rotateHot(KT1, TZ3),
      isError(WrongKeyTypeError, "newHot", "TEZOS_WRONG_KEY_TYPE"),
    );
  });

  it("refuses a KT1 with a bad checksum and a tz1 where a KT1 is expected", async () => {
    await assert.rejects(
      client.setDelegate(KT1_BAD, TZ1),
      isError(InvalidAddressError, "kt1", "TEZOS_INVALID_ADDRESS"),
    );
    await assert.rejects(client.status(TZ1), isError(InvalidAddressError, "kt1", "TEZOS_INVALID_ADDRESS"));
  });

  it("refuses a malformed baker", async () => {
    await assert.rejects(
      client.setDelegate(KT1, "tz1nope"),
      isError(InvalidAddressError, "baker", "TEZOS_INVALID_ADDRESS"),
    );
    await assert.rejects(
      client.setDelegate(KT1, KT1),
      isError(InvalidAddressError, "baker", "TEZOS_INVALID_ADDRESS"),
    );
  });

  it("refuses negative, zero, fractional and oversized amounts (boundary at int64 max)", async () => {
    const bad: unknown[] = [-1n, 0n, 1.5, "12abc", MAX_MUTEZ + 1n];
    for (const amount of bad) {
      await assert.rejects(
        client.prepareWithdrawal({ kt1: KT1, cold: TZ1, amountMutez: amount as bigint }),
        isError(InvalidAmountError, "amountMutez", "TEZOS_INVALID_AMOUNT"),
      );
    }
    await assert.rejects(
      client.deposit(KT1, -5),
      isError(InvalidAmountError, "amountMutez", "TEZOS_INVALID_AMOUNT"),
    );
  });

  it("refuses a cold public key that is not cold's, or not Ed25519", async () => {
    const other = await SoftwareEd25519Signer.generate().publicKey();
    await assert.rejects(
      client.prepareWithdrawal({ kt1: KT1, cold: TZ1, amountMutez: 1n, coldPublicKey: other }),
      isError(InvalidInputError, "coldPublicKey", "TEZOS_INVALID_INPUT"),
    );
    await assert.rejects(
      client.prepareWithdrawal({ kt1: KT1, cold: TZ1, amountMutez: 1n, coldPublicKey: "sppk7Zf..." }),
      isError(WrongKeyTypeError, "coldPublicKey", "TEZOS_WRONG_KEY_TYPE"),
    );
  });

  it("refuses malformed bytes and signatures for injection", async () => {
    await assert.rejects(
      client.injectSigned("0xzz", "00".repeat(64)),
      isError(InvalidInputError, "forgedHex", "TEZOS_INVALID_INPUT"),
    );
    await assert.rejects(
      client.injectSigned("0x00", "00".repeat(63)),
      isError(InvalidInputError, "signatureHex", "TEZOS_INVALID_INPUT"),
    );
  });

  it("keeps the offending value on the error but never a secret", () => {
    assert.throws(
      () => SoftwareEd25519Signer.fromSecretKey("spsk-not-ed25519"),
      (e: unknown) =>
        e instanceof WrongKeyTypeError && e.value === "(redacted)" && !e.message.includes("spsk-not"),
    );
  });
});
