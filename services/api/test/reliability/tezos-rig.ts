/**
 * Tezos side of the reliability tests: the in-repo sandbox on a free port, the real hot signer
 * (sealed key, first bootstrap baker allowed), a funded hot account, and helpers to advance the
 * chain and to find every operation the hot account has in blocks.
 */
import { randomBytes } from "node:crypto";
import { buildCore } from "../../../signer/src/app.js";
import { startSignerServer } from "../../../signer/src/http/server.js";
import { SignerClient } from "../../../signer/src/client.js";
import { loadConfig as loadSignerConfig } from "../../../signer/src/config.js";
import { tempDir } from "../../../signer/test/helpers/fixture.js";
import { startSandbox, type BootstrapAccount, type RunningSandbox } from "../../../../tezos/sandbox/index.js";
import { Actor } from "../../../../tezos/test/support/actors.js";
import type {
  SignedTezosOperation,
  TezosChain,
  TezosInclusion,
  TezosIntent,
} from "../../src/chains/tezos-chain.js";
import { TaquitoTezosChain } from "../../src/chains/tezos-taquito-chain.js";

/**
 * The real chain, with a switch that makes the next injection vanish: the node answers the hash
 * (as a mempool that accepted it would) but the operation never reaches a block.
 */
export class DroppingTezosChain implements TezosChain {
  dropNextInject = false;
  constructor(readonly inner: TaquitoTezosChain) {}
  hotAddress(): Promise<string> {
    return this.inner.hotAddress();
  }
  sign(intent: TezosIntent): Promise<SignedTezosOperation> {
    return this.inner.sign(intent);
  }
  async inject(op: { forgedBytes: string; signature: string }): Promise<string> {
    if (this.dropNextInject) {
      this.dropNextInject = false;
      const { encodeOpHash } = await import("@taquito/utils");
      return encodeOpHash(op.forgedBytes + op.signature);
    }
    return this.inner.inject(op);
  }
  findInclusion(opHash: string, fromLevel: number): Promise<TezosInclusion | null> {
    return this.inner.findInclusion(opHash, fromLevel);
  }
  contractStatus(kt1: string): ReturnType<TezosChain["contractStatus"]> {
    return this.inner.contractStatus(kt1);
  }
  headLevel(): Promise<number> {
    return this.inner.headLevel();
  }
  maxOperationsTtl(): Promise<number> {
    return this.inner.maxOperationsTtl();
  }
}

export interface TezosRig {
  readonly sandbox: RunningSandbox & { accounts: BootstrapAccount[] };
  readonly chain: DroppingTezosChain;
  readonly hot: string;
  readonly baker: string;
  /** Environment of a child API process reaching this node and signer. */
  readonly env: Record<string, string>;
  /** Bakes `levels` blocks (one self-transfer each, from a bootstrap account that is not a baker). */
  advance(levels: number): Promise<void>;
  /** Every manager operation content whose source is the hot account, with its block level. */
  hotOperations(): { hash: string; kind: string; counter: string; level: number }[];
  close(): Promise<void>;
}

export async function startTezosRig(): Promise<TezosRig> {
  const sandbox = await startSandbox({ port: 0, accounts: 4, delegates: 2 });
  const token = randomBytes(32).toString("hex");
  const core = await buildCore(
    loadSignerConfig({
      SIGNER_API_TOKEN: token,
      SIGNER_PORT: "0",
      SIGNER_DATA_DIR: tempDir("coldpath-reliability-tezos-signer-"),
      SIGNER_SEALED_PASSPHRASE: "reliability tezos passphrase, test only",
      SIGNER_POLICY_ENFORCEMENT: "off",
      SIGNER_TEZOS_BAKERS: sandbox.accounts[0]!.address,
    }),
  );
  const signer = await startSignerServer({ core, apiToken: token, port: 0, log: () => {} });
  const signerClient = new SignerClient({ url: signer.url, token });
  const chain = new DroppingTezosChain(new TaquitoTezosChain(sandbox.url, signerClient, "tezos-hot"));
  const hot = await chain.hotAddress();
  const filler = new Actor(sandbox.chain, sandbox.accounts[3]!.seed, sandbox.accounts[3]!.address);
  await filler.transfer(hot, 10_000_000n);
  return {
    sandbox,
    chain,
    hot,
    baker: sandbox.accounts[0]!.address,
    env: {
      TEZOS_STAKING: "on",
      TEZOS_RPC_URL: sandbox.url,
      SIGNER_URL: signer.url,
      SIGNER_TOKEN: token,
      TEZOS_HOT_KEY_ID: "tezos-hot",
    },
    async advance(levels) {
      for (let i = 0; i < levels; i++) await filler.transfer(filler.address, 1n);
    },
    hotOperations() {
      const found: { hash: string; kind: string; counter: string; level: number }[] = [];
      for (const block of sandbox.chain.blocks) {
        for (const op of block.operations) {
          for (const c of op.contents as unknown as { kind: string; source?: string; counter?: string }[]) {
            if (c.source === hot)
              found.push({ hash: op.hash, kind: c.kind, counter: c.counter ?? "", level: block.level });
          }
        }
      }
      return found;
    },
    async close() {
      await signer.close();
      await core.close();
      await sandbox.close();
    },
  };
}
