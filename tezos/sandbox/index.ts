/**
 * The Tezos sandbox: a ledger with the in-repo Michelson interpreter behind the node RPC
 * subset Taquito uses. `createSandbox` builds one with deterministic bootstrap accounts.
 *
 * @module
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { blake2b } from "@noble/hashes/blake2.js";
import { PrefixV2, b58Encode } from "@taquito/utils";
import { SandboxChain, createMichelsonEngine } from "./ledger/index.js";
import { startSandboxServer } from "./rpc/server.js";
import type { RunningSandbox } from "./rpc/server.js";

export { SandboxChain, createMichelsonEngine } from "./ledger/index.js";
export { startSandboxServer } from "./rpc/server.js";
export type { RunningSandbox, SandboxServerOptions } from "./rpc/server.js";
export { handleRpc } from "./rpc/routes.js";

/** A bootstrap account. Its secret is a TEST FIXTURE: derived from a public label. */
export interface BootstrapAccount {
  readonly name: string;
  readonly address: string;
  readonly publicKey: string;
  /** `edsk...` seed. Public knowledge: never use it on a real network. */
  readonly secretKey: string;
  readonly seed: Uint8Array;
  readonly isDelegate: boolean;
}

export interface CreateSandboxOptions {
  /** Number of bootstrap accounts (default 5); the first `delegates` of them are bakers. */
  readonly accounts?: number;
  readonly delegates?: number;
  /** Mutez per bootstrap account (default 4,000,000 tez). */
  readonly balanceMutez?: bigint;
}

/** Deterministic seed of bootstrap account `i`: blake2b-256 of a fixed public label. */
export function bootstrapSeed(i: number): Uint8Array {
  return blake2b(new TextEncoder().encode(`coldpath tezos sandbox bootstrap ${i}`), { dkLen: 32 });
}

/**
 * Builds a chain with bootstrap accounts (revealed, funded) and registered delegates.
 *
 * @example const { chain, accounts } = createSandbox();
 */
export function createSandbox(opts: CreateSandboxOptions = {}): {
  chain: SandboxChain;
  accounts: BootstrapAccount[];
} {
  const chain = new SandboxChain({ engine: createMichelsonEngine() });
  const count = opts.accounts ?? 5;
  const delegates = opts.delegates ?? 2;
  const accounts: BootstrapAccount[] = [];
  for (let i = 1; i <= count; i++) {
    const seed = bootstrapSeed(i);
    const publicKey = b58Encode(ed25519.getPublicKey(seed), PrefixV2.Ed25519PublicKey);
    const address = chain.addBootstrapAccount(publicKey, opts.balanceMutez ?? 4_000_000_000_000n);
    const isDelegate = i <= delegates;
    if (isDelegate) chain.registerDelegate(address);
    accounts.push({
      name: `bootstrap${i}`,
      address,
      publicKey,
      secretKey: b58Encode(seed, PrefixV2.Ed25519Seed),
      seed,
      isDelegate,
    });
  }
  return { chain, accounts };
}

/**
 * Starts a sandbox with an RPC server (tests use `port: 0`).
 *
 * @example const sandbox = await startSandbox({ port: 0 }); new TezosToolkit(sandbox.url)
 */
export async function startSandbox(
  opts: CreateSandboxOptions & {
    port?: number;
    host?: string;
    onRequest?: (method: string, path: string, status: number) => void;
  } = {},
): Promise<RunningSandbox & { accounts: BootstrapAccount[] }> {
  const { chain, accounts } = createSandbox(opts);
  const running = await startSandboxServer({
    chain,
    port: opts.port ?? 0,
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    ...(opts.onRequest !== undefined ? { onRequest: opts.onRequest } : {}),
  });
  return { ...running, accounts };
}
