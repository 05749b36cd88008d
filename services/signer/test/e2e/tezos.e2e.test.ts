/**
 * End to end on the Tezos sandbox through Taquito: the hot key lives in the signer process; the
 * delegation client reveals, originates and delegates through it; the signer learns the KT1
 * itself and refuses what the hot key must never do.
 */
import { tempDir } from "../helpers/fixture.js";
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { TezosToolkit } from "@taquito/taquito";
import { startSandbox } from "../../../../tezos/sandbox/index.js";
import type { BootstrapAccount, RunningSandbox } from "../../../../tezos/sandbox/index.js";
import {
  DelegationClient,
  SoftwareEd25519Signer,
  TaquitoSignerAdapter,
} from "../../../../tezos/src/index.js";
import { loadConfig } from "../../src/config.js";
import { startSigner } from "../../src/app.js";
import { SignerClient, remoteTaquitoSigner } from "../../src/client.js";

const TOKEN = randomBytes(32).toString("hex");

describe("hot signer against the Tezos sandbox", () => {
  let sandbox: RunningSandbox & { accounts: BootstrapAccount[] };
  let signer: Awaited<ReturnType<typeof startSigner>>;
  let hotClient: DelegationClient;
  let hotTz1: string;
  const cold = SoftwareEd25519Signer.generate();
  let kt1: string;

  before(async () => {
    sandbox = await startSandbox({ port: 0 });
    signer = await startSigner(
      loadConfig({
        SIGNER_API_TOKEN: TOKEN,
        SIGNER_POLICY_ENFORCEMENT: "off", // predates the policy gate (issue 7)
        SIGNER_PORT: "0",
        SIGNER_DATA_DIR: tempDir("coldpath-signer-tz-"),
        SIGNER_SEALED_PASSPHRASE: "e2e passphrase, test only",
      }),
    );
    const client = new SignerClient({ url: signer.url, token: TOKEN });
    hotTz1 = (await client.key("tezos-hot")).address;
    const funder = new TezosToolkit(sandbox.url);
    funder.setSignerProvider(new TaquitoSignerAdapter(new SoftwareEd25519Signer(sandbox.accounts[2]!.seed)));
    await (await funder.contract.transfer({ to: hotTz1, amount: 10 })).confirmation(1);
    const tezos = new TezosToolkit(sandbox.url);
    tezos.setSignerProvider(remoteTaquitoSigner(client, "tezos-hot"));
    hotClient = new DelegationClient(tezos, { pollingIntervalMs: 5, confirmationTimeoutSec: 20 });
  });
  after(async () => {
    await signer?.close();
    await sandbox?.close();
  });

  it("reveals and originates a delegation contract; the signer learns the same KT1 the chain made", async () => {
    const { address } = await hotClient.originate({ cold: await cold.publicKeyHash(), hot: hotTz1 });
    kt1 = address;
    const status = await hotClient.status(kt1);
    assert.equal(status.storage.hot, hotTz1);
    // A set_delegate only passes the signer's allowlist when it learned this KT1 from the origination.
    await hotClient.setDelegate(kt1, sandbox.accounts[0]!.address);
    assert.equal((await hotClient.status(kt1)).delegate, sandbox.accounts[0]!.address);
    await hotClient.setDelegate(kt1, null);
    assert.equal((await hotClient.status(kt1)).delegate, null);
  });

  it("refuses rotate_hot and plain transfers from the hot key before anything reaches the chain", async () => {
    const counter = async (): Promise<string> =>
      (await hotClient.tezos.rpc.getContract(hotTz1)).counter ?? "";
    const before = await counter();
    // Explicit limits skip Taquito's simulation (which the contract would fail), so the request
    // reaches the signer: the signer is the one refusing here.
    const contract = await hotClient.tezos.contract.at(kt1);
    await assert.rejects(
      contract.methodsObject["rotate_hot"]!(sandbox.accounts[3]!.address).send({
        fee: 2000,
        gasLimit: 5000,
        storageLimit: 0,
      }),
      /TEZOS_ENTRYPOINT/,
    );
    await assert.rejects(
      (async () =>
        (
          await hotClient.tezos.contract.transfer({ to: sandbox.accounts[3]!.address, amount: 1 })
        ).confirmation(1))(),
      /TEZOS_AMOUNT/,
    );
    assert.equal(await counter(), before);
  });
});
