/**
 * The main job's Tezos node, as its own process: the in-repo sandbox (Michelson interpreter,
 * ledger, node RPC subset) on TEZOS_PORT with the usual deterministic bootstrap accounts.
 *
 * The sandbox keeps its ledger in memory, so this process journals every operation it includes
 * (the signed bytes and the block's timestamp) in TEZOS_STATE_DIR, before answering the
 * injection. A restart rebuilds the same genesis, then re-injects each operation at its own
 * timestamp: blocks, hashes, counters and contract addresses come back identical.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import { PrefixV2, b58Encode } from "@taquito/utils";
import {
  SandboxChain,
  bootstrapSeed,
  createMichelsonEngine,
  startSandboxServer,
} from "../../tezos/sandbox/index.js";
import { announceReady, readJson, writeJson } from "./state-file.js";

interface JournalEntry {
  readonly hex: string;
  readonly timestamp: number;
}

const port = Number(process.env["TEZOS_PORT"] ?? 8732);
const host = process.env["TEZOS_HOST"] ?? "127.0.0.1";
const stateDir = path.resolve(process.env["TEZOS_STATE_DIR"] ?? ".coldpath/tezos");
const genesisFile = path.join(stateDir, "genesis.json");
const journalFile = path.join(stateDir, "operations.jsonl");
/** Bootstrap accounts: the first two are registered bakers, as in `npm run tezos:sandbox`. */
const ACCOUNTS = 5;
const DELEGATES = 2;

const genesis = readJson<{ time: number }>(genesisFile) ?? { time: Math.floor(Date.now() / 1000) };
writeJson(genesisFile, genesis);

/** While replaying, the clock answers the journaled time; afterwards the wall clock. */
let replayTime: bigint | undefined = BigInt(genesis.time);
const chain = new SandboxChain({
  engine: createMichelsonEngine(),
  clock: () => replayTime ?? BigInt(Math.floor(Date.now() / 1000)),
});
const accounts = [];
for (let i = 1; i <= ACCOUNTS; i++) {
  const publicKey = b58Encode(ed25519.getPublicKey(bootstrapSeed(i)), PrefixV2.Ed25519PublicKey);
  const address = chain.addBootstrapAccount(publicKey, 4_000_000_000_000n);
  if (i <= DELEGATES) chain.registerDelegate(address);
  accounts.push({ name: `bootstrap${i}`, address, isDelegate: i <= DELEGATES });
}

const journal: JournalEntry[] = existsSync(journalFile)
  ? readFileSync(journalFile, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as JournalEntry)
  : [];
for (const [i, entry] of journal.entries()) {
  replayTime = BigInt(entry.timestamp);
  try {
    await chain.inject(entry.hex);
  } catch (error) {
    process.stderr.write(
      `replaying operation ${i + 1} of ${journalFile} failed (${(error as Error).message}); delete ${stateDir} (and the API's data) to start afresh\n`,
    );
    process.exit(1);
  }
}
replayTime = undefined;

// Journal each included operation before the client hears about it.
const inject = chain.inject.bind(chain);
chain.inject = async (signedHex: string): Promise<string> => {
  const hash = await inject(signedHex);
  const entry: JournalEntry = { hex: signedHex, timestamp: Date.parse(chain.head.timestamp) / 1000 };
  appendFileSync(journalFile, JSON.stringify(entry) + "\n");
  return hash;
};

let running;
try {
  running = await startSandboxServer({ chain, port, host });
} catch (error) {
  process.stderr.write(`Tezos sandbox cannot listen on ${host}:${port}: ${(error as Error).message}\n`);
  process.exit(1);
}
announceReady({ url: running.url, level: chain.head.level, operations: journal.length, accounts });

const stop = (): void => {
  void running.close().finally(() => process.exit(0));
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
