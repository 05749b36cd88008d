/**
 * The sandbox's node RPC subset, called directly (the end-to-end suite covers it through
 * Taquito): reads, block ids, simulation, preapply, injection errors and 404s.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { LocalForger, ProtocolsHash } from "@taquito/local-forging";
import { PrefixV2, b58Encode, buf2hex } from "@taquito/utils";
import { startSandbox } from "../sandbox/index.js";
import type { BootstrapAccount, RunningSandbox } from "../sandbox/index.js";
import { SoftwareEd25519Signer } from "../src/index.js";

const forger = new LocalForger(ProtocolsHash.PtTALLiNt);

describe("sandbox node RPC", () => {
  let sandbox: RunningSandbox & { accounts: BootstrapAccount[] };
  let alice: BootstrapAccount;

  const get = async (path: string): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${sandbox.url}${path}`);
    return { status: res.status, body: await res.json() };
  };
  const post = async (path: string, body: unknown): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${sandbox.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

  before(async () => {
    sandbox = await startSandbox({ accounts: 3, delegates: 1 });
    alice = sandbox.accounts[2]!;
  });
  after(() => sandbox.close());

  it("serves chain id, protocols, constants and headers for every block id form", async () => {
    assert.equal((await get("/chains/main/chain_id")).body, sandbox.chain.chainId);
    const protocols = (await get("/chains/main/blocks/head/protocols")).body as { next_protocol: string };
    assert.equal(protocols.next_protocol, ProtocolsHash.PtTALLiNt);
    const constants = (await get("/chains/main/blocks/head/context/constants")).body as {
      cost_per_byte: string;
    };
    assert.equal(constants.cost_per_byte, "250");
    const head = (await get("/chains/main/blocks/head/header")).body as {
      level: number;
      hash: string;
      predecessor: string;
    };
    const byLevel = (await get(`/chains/main/blocks/${head.level}/header`)).body as { hash: string };
    const byHash = (await get(`/chains/main/blocks/${head.hash}/header`)).body as { hash: string };
    const parent = (await get("/chains/main/blocks/head~1/header")).body as { hash: string };
    assert.equal(byLevel.hash, head.hash);
    assert.equal(byHash.hash, head.hash);
    assert.equal(parent.hash, head.predecessor);
    assert.equal((await get("/chains/main/blocks/99999/header")).status, 404);
  });

  it("reads implicit accounts: balance, counter, manager key, delegate", async () => {
    const account = (await get(`/chains/main/blocks/head/context/contracts/${alice.address}`)).body as {
      balance: string;
      counter: string;
    };
    assert.equal(account.balance, "4000000000000");
    assert.equal(
      (await get(`/chains/main/blocks/head/context/contracts/${alice.address}/manager_key`)).body,
      alice.publicKey,
    );
    assert.equal(
      (await get(`/chains/main/blocks/head/context/contracts/${alice.address}/delegate`)).status,
      404,
    );
    const baker = sandbox.accounts[0]!.address;
    assert.equal((await get(`/chains/main/blocks/head/context/contracts/${baker}/delegate`)).body, baker);
    const fresh = await SoftwareEd25519Signer.generate().publicKeyHash();
    assert.equal((await get(`/chains/main/blocks/head/context/contracts/${fresh}/balance`)).body, "0");
    assert.equal((await get(`/chains/main/blocks/head/context/contracts/${fresh}/manager_key`)).body, null);
    assert.deepEqual((await get("/chains/main/blocks/head/context/delegates")).body, [baker]);
  });

  it("answers 404 for an unknown KT1 and for unknown endpoints", async () => {
    const kt1 = "KT1BEqzn5Wx8uJrZNvuS9DVHmLvG9td3fDLi";
    assert.equal((await get(`/chains/main/blocks/head/context/contracts/${kt1}/storage`)).status, 404);
    const r = await get("/chains/main/blocks/head/context/raw/json");
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { kind: "not_found", path: "/chains/main/blocks/head/context/raw/json" });
    const p = await post("/chains/main/blocks/head/helpers/scripts/typecheck_code", {});
    assert.equal(p.status, 404);
  });

  it("simulates without a valid signature, refuses preapply with a bad one, and injects a good one", async () => {
    const signer = new SoftwareEd25519Signer(alice.seed);
    const counter = BigInt(
      (await get(`/chains/main/blocks/head/context/contracts/${alice.address}/counter`)).body as string,
    );
    const branch = (await get("/chains/main/blocks/head/hash")).body as string;
    const contents = [
      {
        kind: "transaction",
        source: alice.address,
        fee: "1000",
        counter: (counter + 1n).toString(),
        gas_limit: "1000",
        storage_limit: "300",
        amount: "1000000",
        destination: sandbox.accounts[0]!.address,
      },
    ];
    const zeroSig = b58Encode(new Uint8Array(64), PrefixV2.Ed25519Signature);
    const sim = await post("/chains/main/blocks/head/helpers/scripts/simulate_operation", {
      operation: { branch, contents, signature: zeroSig },
      chain_id: sandbox.chain.chainId,
    });
    assert.equal(sim.status, 200);
    const simContents = (sim.body as { contents: { metadata: { operation_result: { status: string } } }[] })
      .contents;
    assert.equal(simContents[0]!.metadata.operation_result.status, "applied");

    const otherChain = await post("/chains/main/blocks/head/helpers/scripts/simulate_operation", {
      operation: { branch, contents, signature: zeroSig },
      chain_id: "NetXdQprcVkpaWU",
    });
    assert.equal(otherChain.status, 500);

    const bad = await post("/chains/main/blocks/head/helpers/preapply/operations", [
      { branch, contents, signature: zeroSig, protocol: ProtocolsHash.PtTALLiNt },
    ]);
    assert.equal(bad.status, 500);
    assert.ok((bad.body as { id: string }[]).some((e) => e.id.endsWith("operation.invalid_signature")));

    const hex = await forger.forge({ branch, contents: contents as never });
    const sig = signer.signSync(Uint8Array.from(Buffer.from(hex, "hex")));
    const good = await post("/chains/main/blocks/head/helpers/preapply/operations", [
      {
        branch,
        contents,
        signature: b58Encode(sig, PrefixV2.Ed25519Signature),
        protocol: ProtocolsHash.PtTALLiNt,
      },
    ]);
    assert.equal(good.status, 200, JSON.stringify(good.body));
    // Neither simulation nor preapply changed anything.
    assert.equal(
      (await get(`/chains/main/blocks/head/context/contracts/${alice.address}/counter`)).body,
      counter.toString(),
    );

    const injected = await post("/injection/operation", hex + buf2hex(sig));
    assert.equal(injected.status, 200);
    const block = (await get("/chains/main/blocks/head")).body as { operations: { hash: string }[][] };
    assert.equal(block.operations[3]![0]!.hash, injected.body);
    const again = await post("/injection/operation", hex + buf2hex(sig));
    assert.equal(again.status, 500);
  });
});
