/**
 * The main job's dev chains resume after a restart: the EVM node replays its block journal and the
 * Tezos node its operation journal, and come back with the same head (hash included) and the same
 * balances. A reverted EVM snapshot is dropped from the journal, not replayed, and an EVM state folder
 * recorded from other contract code is refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { TezosToolkit } from "@taquito/taquito";
import { bootstrapSeed } from "../../../../tezos/sandbox/index.js";
import { SoftwareEd25519Signer, TaquitoSignerAdapter } from "../../../../tezos/src/index.js";
import { freePort, runScript, type Spawned } from "./helpers.js";

const home = mkdtempSync(path.join(tmpdir(), "coldpath-dev-chains-"));
after(() => rmSync(home, { recursive: true, force: true }));

async function start(script: string, env: Record<string, string>): Promise<{ node: Spawned; url: string }> {
  const node = runScript(script, env);
  const line = await node.waitFor(/^COLDPATH_READY /, 60_000);
  return { node, url: (JSON.parse(line.slice("COLDPATH_READY ".length)) as { url: string }).url };
}
async function stop(node: Spawned): Promise<void> {
  node.child.kill("SIGTERM");
  assert.equal(await node.exited, 0);
}

describe("the EVM dev chain", () => {
  const DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
  const rpc = async <T>(url: string, method: string, params: unknown[] = []): Promise<T> => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = (await res.json()) as { result: T; error?: { message: string } };
    if (body.error) throw new Error(body.error.message);
    return body.result;
  };
  const send = (url: string, to: string, value: bigint) =>
    rpc<string>(url, "eth_sendTransaction", [{ from: DEPLOYER, to, value: "0x" + value.toString(16) }]);
  const head = (url: string) =>
    rpc<{ number: string; hash: string }>(url, "eth_getBlockByNumber", ["latest", false]);

  it("deploys once, then resumes with the same blocks and drops a reverted snapshot", async () => {
    const env = { EVM_PORT: String(await freePort()), EVM_STATE_DIR: path.join(home, "evm") };
    const first = await start("scripts/main-job/evm-node.ts", env);
    const code = await rpc<string>(first.url, "eth_getCode", [
      "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
      "latest",
    ]);
    assert.ok(code.length > 2, "the factory is deployed at its recorded address");
    const kept = "0x00000000000000000000000000000000000c01d5";
    const dropped = "0x000000000000000000000000000000000000dead";
    await send(first.url, kept, 1000n);
    const snapshot = await rpc<string>(first.url, "evm_snapshot");
    await send(first.url, dropped, 7n);
    await rpc(first.url, "evm_revert", [snapshot]);
    await send(first.url, kept, 24n);
    const before = await head(first.url);
    await stop(first.node);

    const second = await start("scripts/main-job/evm-node.ts", env);
    assert.deepEqual(await head(second.url), before);
    assert.equal(BigInt(await rpc<string>(second.url, "eth_getBalance", [kept, "latest"])), 1024n);
    assert.equal(BigInt(await rpc<string>(second.url, "eth_getBalance", [dropped, "latest"])), 0n);
    await stop(second.node);

    // A state folder recorded from other contract code is refused, not replayed into old contracts.
    const deploymentFile = path.join(env.EVM_STATE_DIR, "deployment.json");
    const deployment = JSON.parse(readFileSync(deploymentFile, "utf8")) as Record<string, string>;
    assert.match(deployment["contracts"] ?? "", /^0x[0-9a-f]{64}$/);
    writeFileSync(deploymentFile, JSON.stringify({ ...deployment, contracts: "0x" + "00".repeat(32) }));
    const stale = runScript("scripts/main-job/evm-node.ts", env);
    const refused = await Promise.race([
      stale.exited,
      new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 60_000)),
    ]);
    if (refused === "still running") stale.child.kill("SIGKILL");
    assert.notEqual(refused, "still running", `the stale folder was resumed:\n${stale.output()}`);
    assert.notEqual(refused, 0);
    assert.match(stale.output(), /deployed from other contract code than this checkout's; delete /);
  });
});

describe("the Tezos dev sandbox", () => {
  it("resumes with the same head and balances", async () => {
    const env = { TEZOS_PORT: String(await freePort()), TEZOS_STATE_DIR: path.join(home, "tezos") };
    const first = await start("scripts/main-job/tezos-node.ts", env);
    const tezos = new TezosToolkit(first.url);
    tezos.setSignerProvider(new TaquitoSignerAdapter(new SoftwareEd25519Signer(bootstrapSeed(5))));
    const to = await SoftwareEd25519Signer.generate().publicKeyHash();
    await (await tezos.contract.transfer({ to, amount: 3 })).confirmation(1);
    await (await tezos.contract.transfer({ to, amount: 4 })).confirmation(1);
    const headOf = async (url: string) =>
      (await (await fetch(`${url}/chains/main/blocks/head/header`)).json()) as {
        hash: string;
        level: number;
      };
    const before = await headOf(first.url);
    await stop(first.node);

    const second = await start("scripts/main-job/tezos-node.ts", env);
    assert.deepEqual(await headOf(second.url), before);
    assert.equal((await new TezosToolkit(second.url).tz.getBalance(to)).toNumber(), 7_000_000);
    await stop(second.node);
  });
});
