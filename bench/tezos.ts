/**
 * `npm run bench:tezos`: size of the delegation contract and throughput of the sandbox.
 * Writes bench/results/tezos.json.
 *
 * - scriptBytes: binary (Micheline) size of the script's code, as origination pays for it.
 * - storageBytes: binary size of the initial storage as the sandbox stores it (optimized form).
 * - sandboxOpsPerSec: applied %set_delegate calls per second, end to end through the node RPC
 *   over HTTP: forged locally, signed, POSTed to /injection/operation one after the other (each
 *   validated, interpreted and baked into its own block). Raw RPC calls, not Taquito.
 * - taquitoOpsPerSec: the same calls through Taquito's `contract.at(...).methodsObject` with
 *   estimation, preapply and confirmation polling (about a dozen RPC requests per call).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { LocalForger, ProtocolsHash } from "@taquito/local-forging";
import { packDataBytes } from "@taquito/michel-codec";
import type { MichelsonData } from "@taquito/michel-codec";
import { TezosToolkit } from "@taquito/taquito";
import { buf2hex } from "@taquito/utils";
import { startSandbox } from "../tezos/sandbox/index.js";
import {
  DelegationClient,
  SoftwareEd25519Signer,
  TaquitoSignerAdapter,
  delegationCode,
} from "../tezos/src/index.js";

const RAW_CALLS = Number(process.env["BENCH_TEZOS_CALLS"] ?? 300);
const TAQUITO_CALLS = Number(process.env["BENCH_TEZOS_TAQUITO_CALLS"] ?? 20);

async function rpc(url: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json: unknown = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const sandbox = await startSandbox();
try {
  const [baker0, baker1, funderAccount] = [sandbox.accounts[0]!, sandbox.accounts[1]!, sandbox.accounts[2]!];
  const service = new TezosToolkit(sandbox.url);
  service.setSignerProvider(new TaquitoSignerAdapter(new SoftwareEd25519Signer(funderAccount.seed)));
  const client = new DelegationClient(service, { pollingIntervalMs: 2 });
  const hot = new SoftwareEd25519Signer(funderAccount.seed);
  const cold = SoftwareEd25519Signer.generate();
  const { address: kt1 } = await client.originate({
    cold: await cold.publicKeyHash(),
    hot: funderAccount.address,
    balanceMutez: 1_000_000n,
  });

  const scriptBytes = packDataBytes(delegationCode() as unknown as MichelsonData).bytes.length / 2 - 1;
  const usedSpace = Number(
    await rpc(sandbox.url, `/chains/main/blocks/head/context/contracts/${kt1}/storage/used_space`),
  );
  const storageBytes = usedSpace - scriptBytes;

  // Raw RPC: forge locally, sign, inject; one block per call.
  const forger = new LocalForger(ProtocolsHash.PtTALLiNt);
  let counter = BigInt(
    (await rpc(
      sandbox.url,
      `/chains/main/blocks/head/context/contracts/${funderAccount.address}/counter`,
    )) as string,
  );
  const startLevel = sandbox.chain.head.level;
  const t0 = performance.now();
  // One branch for the whole run: it stays valid for max_operations_ttl (450) blocks.
  const branch = (await rpc(sandbox.url, "/chains/main/blocks/head/hash")) as string;
  for (let i = 0; i < RAW_CALLS; i++) {
    const baker = i % 2 === 0 ? baker0.address : baker1.address;
    const hex = await forger.forge({
      branch,
      contents: [
        {
          kind: "transaction" as never,
          source: funderAccount.address,
          fee: "1000",
          counter: (++counter).toString(),
          gas_limit: "10000",
          storage_limit: "0",
          amount: "0",
          destination: kt1,
          parameters: { entrypoint: "set_delegate", value: { prim: "Some", args: [{ string: baker }] } },
        },
      ] as never,
    });
    const signature = hot.signSync(Uint8Array.from(Buffer.from(hex, "hex")));
    await rpc(sandbox.url, "/injection/operation", hex + buf2hex(signature));
  }
  const rawSeconds = (performance.now() - t0) / 1000;
  const rawBlocks = sandbox.chain.blocks.slice(startLevel + 1);
  const applied = rawBlocks
    .flatMap((b) => b.operations)
    .filter((o) => o.contents.every((c) => c.metadata.operation_result.status === "applied")).length;
  if (applied !== RAW_CALLS) throw new Error(`only ${applied} of ${RAW_CALLS} calls applied`);

  // Taquito end to end.
  const t1 = performance.now();
  for (let i = 0; i < TAQUITO_CALLS; i++) {
    await client.setDelegate(kt1, i % 2 === 0 ? baker0.address : baker1.address);
  }
  const taquitoSeconds = (performance.now() - t1) / 1000;

  const result = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    contract: "tezos/contracts/delegation.tz",
    scriptBytes,
    storageBytes,
    originationBurnMutez: (scriptBytes + storageBytes + 257) * 250,
    sandboxOpsPerSec: Math.round((RAW_CALLS / rawSeconds) * 10) / 10,
    sandboxOpsMethod:
      "raw node RPC over HTTP, sequential: local forge + Ed25519 sign (@noble/curves) + POST /injection/operation (parse, signature check, validate, interpret, bake one block per call); client-side forging and signing included",
    sandboxCalls: RAW_CALLS,
    taquitoOpsPerSec: Math.round((TAQUITO_CALLS / taquitoSeconds) * 10) / 10,
    taquitoOpsMethod:
      "TezosToolkit contract.at().methodsObject.set_delegate().send() + confirmation(1), polling 2 ms",
    taquitoCalls: TAQUITO_CALLS,
  };
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("./results/tezos.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await sandbox.close();
}
