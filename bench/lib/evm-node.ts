/**
 * A benchmark chain in its own process, as a real node would be: Hardhat's EVM with
 * the local DSChief stack deployed, served over HTTP JSON-RPC. The parent talks to it over IPC
 * for the few setup steps that need the deployer (funding, minting) and over JSON-RPC like the
 * service does. Start it with {@link startEvmNode}; this file is also the child's entry point.
 */
import { asBackground } from "./background-priority.js";
import { childProfileArgs } from "./child-profile.js";
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** What the chain process reports once it listens. */
export interface EvmNodeInfo {
  readonly url: string;
  readonly factory: string;
  readonly implementation: string;
  readonly chief: string;
  readonly gov: string;
}

/** A running chain process. */
export interface EvmNode extends EvmNodeInfo {
  /** Sends `wei` from the deployer to `to` and waits for the receipt. */
  fund(to: string, wei: bigint): Promise<void>;
  /** Mints `amount` GOV to `to` and waits for the receipt. */
  mint(to: string, amount: bigint): Promise<void>;
  /**
   * Stops mining a block per transaction and mines one every `ms` milliseconds instead, with
   * whatever the mempool holds, as a real chain does (0 goes back to one block per transaction).
   */
  blockInterval(ms: number): Promise<void>;
  close(): Promise<void>;
}

type Request = { id: number; op: "fund" | "mint" | "interval"; to: string; amount: string };
type Reply = { id: number; ok: boolean; error?: string };

const SELF = fileURLToPath(import.meta.url);

/**
 * Forks this file as a child process (under tsx) and resolves once its JSON-RPC endpoint listens.
 *
 * @throws when the child exits or reports an error before it is ready.
 */
export function startEvmNode(): Promise<EvmNode> {
  const child: ChildProcess = fork(SELF, ["--child"], {
    execArgv: [...childProfileArgs("chain"), "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  asBackground(child.pid);
  let next = 0;
  const waiting = new Map<number, { resolve(): void; reject(e: Error): void }>();
  const ask = (op: Request["op"], to: string, amount: bigint): Promise<void> =>
    new Promise((resolve, reject) => {
      const id = ++next;
      waiting.set(id, { resolve, reject });
      child.send({ id, op, to, amount: amount.toString() } satisfies Request);
    });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`evm node exited with code ${code} before it was ready`)));
    child.on("message", (message: { ready?: EvmNodeInfo; error?: string } & Partial<Reply>) => {
      if (message.error !== undefined && message.id === undefined) {
        reject(new Error(`evm node failed: ${message.error}`));
        return;
      }
      if (message.ready) {
        child.removeAllListeners("exit");
        resolve({
          ...message.ready,
          fund: (to, wei) => ask("fund", to, wei),
          mint: (to, amount) => ask("mint", to, amount),
          blockInterval: (ms) => ask("interval", "", BigInt(ms)),
          close: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once("exit", () => done());
              child.kill("SIGTERM");
            }),
        });
        return;
      }
      const pending = message.id === undefined ? undefined : waiting.get(message.id);
      if (!pending) return;
      waiting.delete(message.id!);
      if (message.ok) pending.resolve();
      else pending.reject(new Error(message.error ?? "evm node request failed"));
    });
  });
}

/** Automine for 0, else one block every `ms` (Hardhat's interval mining). */
async function setBlockInterval(
  provider: { request(a: { method: string; params?: unknown[] }): Promise<unknown> },
  ms: number,
): Promise<void> {
  await provider.request({ method: "evm_setAutomine", params: [ms === 0] });
  await provider.request({ method: "evm_setIntervalMining", params: [ms] });
}

async function child(): Promise<void> {
  const send = (m: unknown): void => {
    process.send!(m);
  };
  try {
    const { network } = await import("hardhat");
    await import("@nomicfoundation/hardhat-toolbox-mocha-ethers");
    const { deployDSChiefStack, mintGov } = await import("../../deploy/lib/stack.js");
    const { serveJsonRpc } = await import("./evm-json-rpc.js");
    const conn = await network.create();
    const [deployer] = await conn.ethers.getSigners();
    const stack = await deployDSChiefStack(conn.ethers, deployer!);
    const rpc = await serveJsonRpc(conn.provider);
    process.on("message", (m: Request) => {
      const work =
        m.op === "fund"
          ? deployer!.sendTransaction({ to: m.to, value: BigInt(m.amount) }).then((tx) => tx.wait())
          : m.op === "mint"
            ? mintGov(stack, deployer!, m.to, BigInt(m.amount))
            : setBlockInterval(conn.provider, Number(m.amount));
      work.then(
        () => send({ id: m.id, ok: true } satisfies Reply),
        (e: unknown) => send({ id: m.id, ok: false, error: String(e) } satisfies Reply),
      );
    });
    process.once("SIGTERM", () => {
      void rpc
        .close()
        .then(() => conn.close())
        .finally(() => process.exit(0));
    });
    process.once("disconnect", () => process.exit(0));
    send({
      ready: {
        url: rpc.url,
        factory: await stack.factory.getAddress(),
        implementation: await stack.factory.implementation(),
        chief: await stack.chief.getAddress(),
        gov: await stack.gov.getAddress(),
      } satisfies EvmNodeInfo,
    });
  } catch (error) {
    send({ error: String(error) });
    process.exit(1);
  }
}

if (process.argv.includes("--child") && process.send !== undefined) await child();
