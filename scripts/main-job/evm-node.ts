/**
 * The main job's EVM dev chain, as its own process: Hardhat's in-process EVM served over HTTP
 * JSON-RPC on EVM_PORT, with the local DSChief stand-in and our factory deployed on first start
 * (the same deterministic addresses as deploy/addresses/local.json).
 *
 * Hardhat's EVM keeps its state in memory, so this process keeps a block journal in
 * EVM_STATE_DIR: the genesis date and, per block, its timestamp and its signed transactions. A
 * restart replays the journal (same genesis, same timestamps, same raw transactions) and the chain
 * is back where it was, hashes included. The journal is synced before any state-changing request
 * is answered, so nothing a client was told about is lost on a crash. A reverted snapshot
 * truncates the journal to the surviving blocks.
 *
 * Only blocks and their transactions are journaled: `hardhat_setBalance`, `evm_increaseTime`
 * and similar state edits are not replayed (the main job does not use them).
 */
import { existsSync, readFileSync, appendFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { Transaction, keccak256, concat, type TransactionLike } from "ethers";
import { artifacts, network } from "hardhat";
import type {} from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { deployDSChiefStack } from "../../deploy/lib/stack.js";
import { announceReady, readJson, writeAtomically, writeJson } from "./state-file.js";

interface JournalBlock {
  readonly number: number;
  readonly hash: string;
  readonly timestamp: number;
  readonly rawTxs: readonly string[];
}

interface RpcBlock {
  number: string;
  hash: string;
  timestamp: string;
  transactions: RpcTx[];
}
interface RpcTx {
  hash: string;
  type: string;
  chainId?: string;
  nonce: string;
  gas: string;
  gasPrice?: string;
  maxFeePerGas?: string;
  maxPriorityFeePerGas?: string;
  to: string | null;
  value: string;
  input: string;
  accessList?: TransactionLike["accessList"];
  r: string;
  s: string;
  v: string;
  yParity?: string;
}

const port = Number(process.env["EVM_PORT"] ?? 8545);
const host = process.env["EVM_HOST"] ?? "127.0.0.1";
const stateDir = path.resolve(process.env["EVM_STATE_DIR"] ?? ".coldpath/evm");
const genesisFile = path.join(stateDir, "genesis.json");
const journalFile = path.join(stateDir, "blocks.jsonl");
const deploymentFile = path.join(stateDir, "deployment.json");

/** Rebuilds the signed bytes of a mined transaction from its JSON-RPC fields. */
function rawOf(tx: RpcTx): string {
  const type = Number(tx.type);
  const like: TransactionLike = {
    type,
    nonce: Number(tx.nonce),
    gasLimit: BigInt(tx.gas),
    to: tx.to,
    value: BigInt(tx.value),
    data: tx.input,
    ...(tx.chainId !== undefined ? { chainId: BigInt(tx.chainId) } : {}),
    ...(type >= 2
      ? { maxFeePerGas: BigInt(tx.maxFeePerGas!), maxPriorityFeePerGas: BigInt(tx.maxPriorityFeePerGas!) }
      : { gasPrice: BigInt(tx.gasPrice!) }),
    ...(type >= 1 ? { accessList: tx.accessList ?? [] } : {}),
    signature: {
      r: tx.r,
      s: tx.s,
      ...(tx.yParity !== undefined ? { yParity: Number(tx.yParity) as 0 | 1 } : { v: BigInt(tx.v) }),
    },
  };
  const serialized = Transaction.from(like).serialized;
  if (Transaction.from(serialized).hash !== tx.hash) {
    throw new Error(`cannot journal transaction ${tx.hash}: its rebuilt bytes hash differently`);
  }
  return serialized;
}

const genesis = readJson<{ initialDate: string }>(genesisFile) ?? { initialDate: new Date().toISOString() };
writeJson(genesisFile, genesis);
const conn = await network.create({ override: { initialDate: genesis.initialDate } });
const provider = conn.provider;
const rpc = <T>(method: string, params: unknown[] = []): Promise<T> =>
  provider.request({ method, params }) as Promise<T>;

/**
 * A hash of the creation code of every contract the first start deploys. The journal replays the
 * deployment transactions of the code it was recorded with, so after a contract change the chain
 * would come back with old contracts that the API and signer (built from the new code) no longer
 * match: such a state folder is refused with the way out, not resumed.
 */
const contractsFingerprint = keccak256(
  concat(
    await Promise.all(
      ["DSToken", "DSChief", "VoteProxyFactory"].map(
        async (name) => (await artifacts.readArtifact(name)).bytecode,
      ),
    ),
  ),
);
const recorded = readJson<Record<string, string>>(deploymentFile);
if (recorded && recorded["contracts"] !== contractsFingerprint) {
  throw new Error(
    `${stateDir} holds a chain deployed from other contract code than this checkout's; delete ${path.dirname(stateDir)} to start afresh`,
  );
}

const journal: JournalBlock[] = existsSync(journalFile)
  ? readFileSync(journalFile, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as JournalBlock)
  : [];

// Replay: each journaled block again, at its own timestamp, with its own transactions.
if (journal.length > 0) {
  await rpc("evm_setAutomine", [false]);
  let mismatched = 0;
  for (const block of journal) {
    await rpc("evm_setNextBlockTimestamp", [block.timestamp]);
    for (const raw of block.rawTxs) await rpc("eth_sendRawTransaction", [raw]);
    await rpc("evm_mine", []);
    const mined = await rpc<RpcBlock>("eth_getBlockByNumber", ["latest", false]);
    if (Number(mined.number) !== block.number) {
      throw new Error(
        `replaying ${journalFile} gave block ${Number(mined.number)} where ${block.number} was expected; delete ${stateDir} (and the API's data) to start afresh`,
      );
    }
    if (mined.hash !== block.hash) mismatched++;
  }
  await rpc("evm_setAutomine", [true]);
  if (mismatched > 0) {
    process.stderr.write(
      `warning: ${mismatched} replayed block(s) got another hash; transactions are identical\n`,
    );
    // Hashes are what the journal compares on the next sync: adopt the replayed ones.
    for (let i = 0; i < journal.length; i++) {
      const b = await rpc<RpcBlock>("eth_getBlockByNumber", ["0x" + journal[i]!.number.toString(16), false]);
      journal[i] = { ...journal[i]!, hash: b.hash };
    }
    writeAtomically(journalFile, journal.map((b) => JSON.stringify(b)).join("\n") + "\n");
  }
}

/**
 * Brings the journal up to the chain's head: drops journaled blocks the chain no longer has
 * (a reverted snapshot), then appends the new ones.
 */
async function syncJournal(): Promise<void> {
  const head = Number(await rpc<string>("eth_blockNumber"));
  let keep = journal.length;
  while (keep > 0) {
    const last = journal[keep - 1]!;
    if (last.number <= head) {
      const b = await rpc<RpcBlock | null>("eth_getBlockByNumber", ["0x" + last.number.toString(16), false]);
      if (b?.hash === last.hash) break;
    }
    keep--;
  }
  const truncated = keep < journal.length;
  journal.length = keep;
  const fresh: JournalBlock[] = [];
  const from = keep > 0 ? journal[keep - 1]!.number + 1 : 1;
  for (let n = from; n <= head; n++) {
    const b = await rpc<RpcBlock>("eth_getBlockByNumber", ["0x" + n.toString(16), true]);
    fresh.push({
      number: n,
      hash: b.hash,
      timestamp: Number(b.timestamp),
      rawTxs: b.transactions.map(rawOf),
    });
  }
  journal.push(...fresh);
  if (truncated) writeAtomically(journalFile, journal.map((b) => JSON.stringify(b) + "\n").join(""));
  else if (fresh.length > 0) appendFileSync(journalFile, fresh.map((b) => JSON.stringify(b) + "\n").join(""));
}

let queue: Promise<void> = Promise.resolve();
/** Runs `work` after every earlier one: requests that change state and their journal syncs never interleave. */
function serially<T>(work: () => Promise<T>): Promise<T> {
  const next = queue.then(work, work);
  queue = next.then(
    () => undefined,
    () => undefined,
  );
  return next;
}

const CHANGES_STATE = /^(eth_send|evm_|hardhat_)/;

interface RpcRequest {
  readonly id?: unknown;
  readonly method?: unknown;
  readonly params?: unknown[];
}

async function answer(req: RpcRequest): Promise<unknown> {
  if (typeof req !== "object" || req === null || typeof req.method !== "string") {
    return { jsonrpc: "2.0", id: null, error: { code: -32600, message: "invalid request" } };
  }
  const method = req.method;
  const call = () => provider.request({ method, params: req.params ?? [] });
  try {
    const result = CHANGES_STATE.test(method)
      ? await serially(async () => {
          const out = await call();
          await syncJournal();
          return out;
        })
      : await call();
    return { jsonrpc: "2.0", id: req.id ?? null, result };
  } catch (error) {
    const e = error as { code?: number; message?: string; data?: unknown };
    return {
      jsonrpc: "2.0",
      id: req.id ?? null,
      error: { code: e.code ?? -32603, message: e.message ?? String(error), data: e.data },
    };
  }
}

// First start: deploy the chief stand-in and our factory (deterministic addresses).
let deployment = readJson<Record<string, string>>(deploymentFile);
if (!deployment) {
  const [deployer] = await conn.ethers.getSigners();
  if (!deployer) throw new Error("no deployer account on the dev chain");
  const stack = await serially(async () => {
    const s = await deployDSChiefStack(conn.ethers, deployer);
    await syncJournal();
    return s;
  });
  deployment = {
    chainId: String(Number((await conn.ethers.provider.getNetwork()).chainId)),
    deployer: deployer.address,
    gov: await stack.gov.getAddress(),
    iou: await stack.iou.getAddress(),
    chief: await stack.chief.getAddress(),
    factory: await stack.factory.getAddress(),
    implementation: await stack.factory.implementation(),
    contracts: contractsFingerprint,
  };
  writeJson(deploymentFile, deployment);
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (c: Buffer) => chunks.push(c));
  request.on("end", () => {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      body = undefined;
    }
    const work = Array.isArray(body)
      ? Promise.all(body.map((r) => answer(r as RpcRequest)))
      : answer(body as RpcRequest);
    void work.then((out) => {
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify(out, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
    });
  });
});
server.on("error", (error) => {
  process.stderr.write(`EVM dev chain cannot listen on ${host}:${port}: ${error.message}\n`);
  process.exit(1);
});
server.listen(port, host, () => {
  const address = server.address();
  const actual = typeof address === "object" && address ? address.port : port;
  announceReady({ url: `http://${host}:${actual}`, blocks: journal.length, deployment });
});

const stop = (): void => {
  server.closeAllConnections();
  server.close(() => {
    void queue.then(() => conn.close()).finally(() => process.exit(0));
  });
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
