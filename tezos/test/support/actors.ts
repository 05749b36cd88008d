/**
 * Test support: signs and injects manager operations straight into a `SandboxChain` (no HTTP),
 * so contract tests stay fast; the end-to-end tests go through Taquito and the RPC instead.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { LocalForger, ProtocolsHash } from "@taquito/local-forging";
import { Parser } from "@taquito/michel-codec";
import { buf2hex } from "@taquito/utils";
import type { ContentWithMetadata, SandboxChain } from "../../sandbox/ledger/index.js";
import { createSandbox } from "../../sandbox/index.js";
import type { BootstrapAccount } from "../../sandbox/index.js";
import { SoftwareEd25519Signer } from "../../src/index.js";
import type { Micheline } from "../../src/index.js";

const forger = new LocalForger(ProtocolsHash.PtTALLiNt);

/** Parses a fixture contract from `tezos/test/fixtures` (or a path relative to tezos/). */
export function fixtureCode(name: string): Micheline {
  const path = fileURLToPath(new URL(`../fixtures/${name}.tz`, import.meta.url));
  return new Parser().parseScript(readFileSync(path, "utf8")) as unknown as Micheline;
}

export interface OpOptions {
  readonly fee?: bigint;
  readonly gasLimit?: bigint;
  readonly storageLimit?: bigint;
}

/** The outcome of one injected operation content. */
export interface Applied {
  readonly hash: string;
  readonly content: ContentWithMetadata;
  readonly status: string;
  /** The contract's FAILWITH string, if it failed with one. */
  readonly failwith?: string;
  readonly errorIds: string[];
  readonly originated?: string;
}

function summarize(hash: string, content: ContentWithMetadata): Applied {
  const r = content.metadata.operation_result;
  const internal = (content.metadata.internal_operation_results ?? []).map((i) => i["result"] as typeof r);
  const errors = [r, ...internal].flatMap(
    (x) => (x["errors"] as { id: string; with?: { string?: string } }[]) ?? [],
  );
  const rejected = errors.find((e) => e.id.endsWith("script_rejected"));
  const originated = (r["originated_contracts"] as string[] | undefined)?.[0];
  return {
    hash,
    content,
    status: r.status,
    ...(rejected?.with?.string !== undefined ? { failwith: rejected.with.string } : {}),
    errorIds: errors.map((e) => e.id),
    ...(originated !== undefined ? { originated } : {}),
  };
}

/** An implicit account that signs its own operations. */
export class Actor {
  readonly signer: SoftwareEd25519Signer;
  constructor(
    readonly chain: SandboxChain,
    seed: Uint8Array,
    readonly address: string,
  ) {
    this.signer = new SoftwareEd25519Signer(seed);
  }

  /** Forges, signs and injects `contents` (source/counter filled in); returns each result. */
  async send(contents: Record<string, unknown>[], opts: OpOptions = {}): Promise<Applied[]> {
    const account = this.chain.state.implicit(this.address);
    let counter = account?.counter ?? this.chain.state.globalCounter;
    const full: Record<string, unknown>[] = [];
    if (account?.publicKey === undefined) {
      full.push({
        kind: "reveal",
        source: this.address,
        fee: "1000",
        counter: (++counter).toString(),
        gas_limit: "1000",
        storage_limit: "0",
        public_key: await this.signer.publicKey(),
      });
    }
    for (const c of contents) {
      full.push({
        source: this.address,
        fee: (opts.fee ?? 10_000n).toString(),
        counter: (++counter).toString(),
        gas_limit: (opts.gasLimit ?? 200_000n).toString(),
        storage_limit: (opts.storageLimit ?? 5_000n).toString(),
        ...c,
      });
    }
    const hex = await forger.forge({ branch: this.chain.head.hash, contents: full as never });
    const forged = Uint8Array.from(Buffer.from(hex, "hex"));
    const hash = await this.chain.inject(hex + buf2hex(this.signer.signSync(forged)));
    const op = this.chain.head.operations.find((o) => o.hash === hash)!;
    const results = op.contents.map((c) => summarize(hash, c));
    return full.length > contents.length ? results.slice(1) : results;
  }

  async transfer(
    to: string,
    amount: bigint,
    params?: { entrypoint: string; value: Micheline },
    opts?: OpOptions,
  ): Promise<Applied> {
    const [r] = await this.send(
      [
        {
          kind: "transaction",
          amount: amount.toString(),
          destination: to,
          ...(params ? { parameters: params } : {}),
        },
      ],
      opts,
    );
    return r!;
  }

  async originate(code: Micheline, storage: Micheline, balance = 0n, opts?: OpOptions): Promise<Applied> {
    const [r] = await this.send(
      [{ kind: "origination", balance: balance.toString(), script: { code, storage } }],
      opts,
    );
    return r!;
  }

  async delegate(to: string | null): Promise<Applied> {
    const [r] = await this.send([{ kind: "delegation", ...(to !== null ? { delegate: to } : {}) }]);
    return r!;
  }

  balance(): bigint {
    return this.chain.account(this.address)?.balance ?? 0n;
  }
}

/** A sandbox chain with bootstrap actors and helpers to make fresh funded actors. */
export interface World {
  readonly chain: SandboxChain;
  readonly bootstrap: BootstrapAccount[];
  readonly bakers: [string, string];
  readonly funder: Actor;
  fresh(balance?: bigint): Promise<Actor>;
}

let freshCounter = 0;

/** A new chain; `fresh()` creates Ed25519 accounts funded by a bootstrap account. */
export function createWorld(): World {
  const { chain, accounts } = createSandbox({ accounts: 3, delegates: 2 });
  const funder = new Actor(chain, accounts[2]!.seed, accounts[2]!.address);
  return {
    chain,
    bootstrap: accounts,
    bakers: [accounts[0]!.address, accounts[1]!.address],
    funder,
    async fresh(balance = 1_000_000_000n) {
      const seed = new Uint8Array(32);
      new DataView(seed.buffer).setUint32(0, ++freshCounter);
      seed[31] = 0x5a;
      const signer = new SoftwareEd25519Signer(seed);
      const address = await signer.publicKeyHash();
      const r = await funder.transfer(address, balance);
      if (r.status !== "applied") throw new Error(`funding ${address} failed: ${r.errorIds.join(",")}`);
      return new Actor(chain, seed, address);
    },
  };
}
