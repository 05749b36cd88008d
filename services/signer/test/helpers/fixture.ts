/**
 * Builds a signer core on a temp data directory with a sealed key file (cheap scrypt cost for
 * tests), plus helpers to craft unsigned EVM transactions.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Interface, Transaction, getAddress } from "ethers";
import type { TransactionLike } from "ethers";
import { HotSignerCore } from "../../src/signer.js";
import type { SignerDeps } from "../../src/signer.js";
import { SealedKeyBackend } from "../../src/keys/sealed.js";
import type { KeyBackend } from "../../src/keys/backend.js";
import { AuditLog } from "../../src/state/audit.js";
import { KnownContracts } from "../../src/state/known-contracts.js";
import { NonceStore } from "../../src/state/nonces.js";
import type { EvmPolicyConfig } from "../../src/allowlist/evm.js";
import type { TezosPolicyConfig } from "../../src/allowlist/tezos.js";

/** The deterministic local deployment's DSChief factory (deploy/addresses/local.json). */
export const FACTORY = getAddress("0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9");
export const IMPLEMENTATION = getAddress("0x856e4424f806D16E8CBC702B3c0F2ede5468eae5");
export const CHAIN_ID = 31337n;
export const COLD = getAddress("0x00000000000000000000000000000000000c01d5");
/** A customer id as the service sends it: a UUID, left-padded to bytes32 (below 2^128). */
export const CUSTOMER = "0x" + "00".repeat(16) + "ab".repeat(16);

export const EVM_POLICY: EvmPolicyConfig = {
  chainId: CHAIN_ID,
  factories: [{ factory: FACTORY, implementation: IMPLEMENTATION }],
  maxGasLimit: 1_000_000n,
  maxFeePerGas: 100_000_000_000n,
  maxCandidates: 5,
};

export const TEZOS_POLICY: TezosPolicyConfig = {
  maxFeeMutez: 100_000n,
  maxGasLimit: 100_000n,
  maxStorageLimit: 2_000n,
  bakers: [],
};

export const proxyAbi = new Interface([
  "function lock(uint256)",
  "function free(uint256)",
  "function freeAll()",
  "function vote(address[])",
  "function vote(bytes32)",
  "function rotateHot(address)",
  "function rescue(address)",
  "function rescueEth()",
  "function createProxy(bytes32,address,address)",
  "function transfer(address,uint256)",
  "function approve(address,uint256)",
]);

export interface Fixture {
  readonly dir: string;
  readonly core: HotSignerCore;
  readonly deps: SignerDeps;
  readonly backend: KeyBackend;
  /** Checksummed address of the `evm-hot` key. */
  readonly evmAddress: string;
  /** tz1 of the `tezos-hot` key. */
  readonly tz1: string;
  readonly edpk: string;
}

/** A fresh core with `evm-hot` (secp256k1) and `tezos-hot` (Ed25519) keys. */
export async function makeFixture(opts: { backend?: KeyBackend; allowlist?: string } = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), "coldpath-signer-"));
  removeOnExit(dir);
  const backend =
    opts.backend ??
    (await SealedKeyBackend.open({
      path: join(dir, "keys.sealed.json"),
      secret: { passphrase: "correct horse battery staple" },
      create: true,
      scrypt: { N: 1024, r: 8, p: 1 },
    }));
  const deps: SignerDeps = {
    backend,
    evm: EVM_POLICY,
    tezos: TEZOS_POLICY,
    nonces: new NonceStore(join(dir, "nonces.jsonl")),
    known: new KnownContracts(join(dir, "learned.jsonl"), opts.allowlist),
    audit: new AuditLog(join(dir, "audit.jsonl")),
  };
  const core = new HotSignerCore(deps);
  const keys = await core.ensureKeys([
    { keyId: "evm-hot", curve: "secp256k1" },
    { keyId: "tezos-hot", curve: "ed25519" },
  ]);
  const evm = keys.find((k) => k.keyId === "evm-hot")!;
  const tz = keys.find((k) => k.keyId === "tezos-hot")!;
  return { dir, core, deps, backend, evmAddress: evm.address, tz1: tz.address, edpk: tz.publicKey };
}

/** Serialises an unsigned EIP-1559 transaction with sane defaults. */
export function unsignedTx(fields: TransactionLike<string>): string {
  return Transaction.from({
    type: 2,
    chainId: CHAIN_ID,
    nonce: 0,
    maxPriorityFeePerGas: 1_000_000_000n,
    maxFeePerGas: 10_000_000_000n,
    gasLimit: 300_000n,
    value: 0n,
    data: "0x",
    ...fields,
  }).unsignedSerialized;
}

/** `createProxy(CUSTOMER, COLD, hot)` to the factory at nonce `nonce`. */
export function createProxyTx(hot: string, nonce = 0, customer = CUSTOMER): string {
  return unsignedTx({
    to: FACTORY,
    nonce,
    data: proxyAbi.encodeFunctionData("createProxy", [customer, COLD, hot]),
  });
}

/** The next nonce recorded on disk for `address` (last journal line wins), or NaN. */
export function journaledNonce(dir: string, address: string): number {
  const key = `31337:${address.toLowerCase()}`;
  const lines = readFileSync(join(dir, "nonces.jsonl"), "utf8").trim().split("\n");
  const last = lines
    .map((l) => JSON.parse(l) as { key: string; next: string })
    .filter((e) => e.key === key)
    .at(-1);
  return last === undefined ? NaN : Number(last.next);
}

const temporary: string[] = [];

/** Deletes `dir` when the test process exits. */
export function removeOnExit(dir: string): void {
  if (temporary.length === 0) {
    process.once("exit", () => {
      for (const d of temporary) rmSync(d, { recursive: true, force: true });
    });
  }
  temporary.push(dir);
}

/** A fresh temp directory removed when the test process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  removeOnExit(dir);
  return dir;
}
