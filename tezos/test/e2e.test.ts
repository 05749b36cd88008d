/**
 * End to end through Taquito's TezosToolkit and the sandbox's node RPC: originate, deposit,
 * delegate, withdraw through prepared bytes signed "offline" (checked by the offline toolkit's
 * own decoder), rotate hot, and the RPC's error formats.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { TezosToolkit } from "@taquito/taquito";
import { decodeRequest } from "../../toolkit/src/chains/request.js";
import { startSandbox } from "../sandbox/index.js";
import type { BootstrapAccount, RunningSandbox } from "../sandbox/index.js";
import {
  DELEGATION_ERRORS,
  DelegationClient,
  InvalidInputError,
  OperationFailedError,
  SoftwareEd25519Signer,
  TaquitoSignerAdapter,
} from "../src/index.js";
import type { HotSigner } from "../src/index.js";

const TEZ = 1_000_000n;

describe("DelegationClient end to end against the sandbox RPC", () => {
  let sandbox: RunningSandbox & { accounts: BootstrapAccount[] };
  const requests: string[] = [];
  const cold = SoftwareEd25519Signer.generate();
  const hot = SoftwareEd25519Signer.generate();
  const newHot = SoftwareEd25519Signer.generate();
  const stranger = SoftwareEd25519Signer.generate();
  let service: DelegationClient;
  let kt1: string;
  let baker: string;

  const clientFor = (signer: HotSigner): DelegationClient => {
    const tezos = new TezosToolkit(sandbox.url);
    tezos.setSignerProvider(new TaquitoSignerAdapter(signer));
    return new DelegationClient(tezos, { pollingIntervalMs: 5, confirmationTimeoutSec: 20 });
  };

  before(async () => {
    sandbox = await startSandbox({ onRequest: (m, p) => requests.push(`${m} ${p}`) });
    baker = sandbox.accounts[0]!.address;
    const funder = new SoftwareEd25519Signer(sandbox.accounts[2]!.seed);
    service = clientFor(funder);
    for (const s of [cold, hot, newHot, stranger]) {
      const op = await service.tezos.contract.transfer({ to: await s.publicKeyHash(), amount: 10 });
      await op.confirmation(1);
    }
  });

  after(async () => {
    await sandbox.close();
  });

  it("originates a contract bound to cold and hot", async () => {
    const { address } = await service.originate({
      cold: await cold.publicKeyHash(),
      hot: await hot.publicKeyHash(),
    });
    kt1 = address;
    const status = await service.status(kt1);
    assert.deepEqual(status.storage, { cold: await cold.publicKeyHash(), hot: await hot.publicKeyHash() });
    assert.equal(status.balanceMutez, 0n);
    assert.equal(status.delegate, null);
    const entrypoints = await service.tezos.rpc.getEntrypoints(kt1);
    assert.deepEqual(Object.keys(entrypoints.entrypoints).sort(), [
      "default",
      "rotate_hot",
      "set_delegate",
      "withdraw",
    ]);
  });

  it("accepts a deposit", async () => {
    await service.deposit(kt1, 50n * TEZ);
    assert.equal((await service.status(kt1)).balanceMutez, 50n * TEZ);
  });

  it("lets the hot key set the delegate through contract.at(...).methodsObject", async () => {
    await clientFor(hot).setDelegate(kt1, baker);
    assert.equal((await service.status(kt1)).delegate, baker);
  });

  it("surfaces the contract's refusal of a stranger as OperationFailedError NOT_HOT_OR_COLD", async () => {
    await assert.rejects(
      clientFor(stranger).setDelegate(kt1, sandbox.accounts[1]!.address),
      (e: unknown) => e instanceof OperationFailedError && e.failwith === DELEGATION_ERRORS.notHotOrCold,
    );
    assert.equal((await service.status(kt1)).delegate, baker);
  });

  it("refuses a hot-key withdrawal with NOT_COLD", async () => {
    await assert.rejects(
      clientFor(hot).withdraw(kt1, 1n),
      (e: unknown) => e instanceof OperationFailedError && e.failwith === DELEGATION_ERRORS.notCold,
    );
    assert.equal((await service.status(kt1)).balanceMutez, 50n * TEZ);
  });

  it("prepares a withdrawal (with a reveal for the unrevealed cold key) that the toolkit accepts and cold signs", async () => {
    const coldAddress = await cold.publicKeyHash();
    const request = await service.prepareWithdrawal({
      kt1,
      amountMutez: 20n * TEZ,
      cold: coldAddress,
      coldPublicKey: await cold.publicKey(),
    });
    assert.equal(request.kind, "tezos-operation");
    assert.deepEqual(
      request.summary.operations.map((o) => o.kind),
      ["reveal", "transaction"],
    );
    const withdrawal = request.summary.operations[1]!;
    assert.equal(withdrawal.destination, kt1);
    assert.equal(withdrawal.entrypoint, "withdraw");
    assert.equal(withdrawal.parameter, String(20n * TEZ));
    // The offline toolkit re-derives the summary and digest from the bytes and refuses differences.
    const decoded = await decodeRequest(request);
    assert.equal(decoded.digest, request.digest);

    const forged = Uint8Array.from(Buffer.from(request.unsigned.slice(2), "hex"));
    const signature = cold.signSync(forged);
    const coldBefore = BigInt((await service.tezos.rpc.getBalance(coldAddress)).toFixed());
    await service.injectSigned(request.unsigned, Buffer.from(signature).toString("hex"));
    const fees = request.summary.operations.reduce((sum, o) => sum + BigInt(o.fee), 0n);
    assert.equal((await service.status(kt1)).balanceMutez, 30n * TEZ);
    const coldAfter = BigInt((await service.tezos.rpc.getBalance(coldAddress)).toFixed());
    assert.equal(coldAfter, coldBefore + 20n * TEZ - fees);
  });

  it("refuses to inject a signature that is not the source's, sending nothing", async () => {
    const request = await service.prepareWithdrawal({
      kt1,
      amountMutez: 1n,
      cold: await cold.publicKeyHash(),
    });
    const forged = Uint8Array.from(Buffer.from(request.unsigned.slice(2), "hex"));
    const before = requests.length;
    await assert.rejects(
      service.injectSigned(request.unsigned, Buffer.from(hot.signSync(forged)).toString("hex")),
      (e: unknown) => e instanceof InvalidInputError && e.field === "signatureHex",
    );
    assert.ok(!requests.slice(before).some((r) => r.includes("/injection/operation")));
  });

  it("reports INSUFFICIENT_BALANCE while preparing, before any ceremony", async () => {
    await assert.rejects(
      service.prepareWithdrawal({ kt1, amountMutez: 31n * TEZ, cold: await cold.publicKeyHash() }),
      (e: unknown) =>
        e instanceof OperationFailedError && e.failwith === DELEGATION_ERRORS.insufficientBalance,
    );
  });

  it("lets cold rotate the hot key; the old hot key then loses its right", async () => {
    await clientFor(cold).rotateHot(kt1, await newHot.publicKeyHash());
    assert.equal((await service.status(kt1)).storage.hot, await newHot.publicKeyHash());
    await assert.rejects(
      clientFor(hot).setDelegate(kt1, null),
      (e: unknown) => e instanceof OperationFailedError && e.failwith === DELEGATION_ERRORS.notHotOrCold,
    );
    await clientFor(newHot).setDelegate(kt1, null);
    assert.equal((await service.status(kt1)).delegate, null);
  });

  it("withdraws the rest through prepared bytes once cold is revealed (no reveal in the request)", async () => {
    const request = await service.prepareWithdrawal({
      kt1,
      amountMutez: 30n * TEZ,
      cold: await cold.publicKeyHash(),
    });
    assert.deepEqual(
      request.summary.operations.map((o) => o.kind),
      ["transaction"],
    );
    const forged = Uint8Array.from(Buffer.from(request.unsigned.slice(2), "hex"));
    await service.injectSigned(request.unsigned, Buffer.from(cold.signSync(forged)).toString("hex"));
    assert.equal((await service.status(kt1)).balanceMutez, 0n);
  });

  it("answers unknown endpoints with a JSON 404 naming the path", async () => {
    const res = await fetch(`${sandbox.url}/chains/main/blocks/head/no/such/thing`);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { kind: "not_found", path: "/chains/main/blocks/head/no/such/thing" });
  });

  it("answers refused operations with the node's error array", async () => {
    const res = await fetch(`${sandbox.url}/injection/operation`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify("00"),
    });
    assert.equal(res.status, 500);
    const body = (await res.json()) as { kind: string; id: string }[];
    assert.ok(Array.isArray(body) && body.length > 0);
    assert.ok(body.every((e) => typeof e.kind === "string" && typeof e.id === "string"));
  });
});
