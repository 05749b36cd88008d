/**
 * The real process (`src/main.ts`) killed with SIGKILL while it signs a batch, and right after
 * answering one: on restart the nonce journal holds either the nonce before the batch (nothing
 * was released) or the nonce after its last signed item (everything was), never a value in
 * between, and no nonce of a released signature can be signed again.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { SignerClient, SignerClientError } from "../../src/client.js";
import { AuditLog } from "../../src/state/audit.js";
import { createProxyTx, journaledNonce, proxyAbi, tempDir, unsignedTx } from "../helpers/fixture.js";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const TOKEN = randomBytes(32).toString("hex");
const BATCH = 100;

function launch(env: Record<string, string>): {
  child: ChildProcess;
  ready: Promise<string>;
  exit: Promise<void>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exit = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const ready = new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const line = out.split("\n").find((l) => l.includes('"signer listening"'));
      if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
    });
    void exit.then(() => reject(new Error("signer exited before listening")));
  });
  ready.catch(() => undefined);
  return { child, ready, exit };
}

describe("a signer killed during a batch", () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  });

  /** A signer with a proxy learned at nonce 0, and the lock transactions at nonces 1..BATCH. */
  async function prepared(): Promise<{
    env: Record<string, string>;
    client: SignerClient;
    hot: string;
    locks: string[];
    run: ReturnType<typeof launch>;
  }> {
    const env = {
      SIGNER_API_TOKEN: TOKEN,
      SIGNER_POLICY_ENFORCEMENT: "off", // predates the policy gate (issue 7)
      SIGNER_PORT: "0",
      SIGNER_DATA_DIR: tempDir("coldpath-signer-batch-"),
      SIGNER_SEALED_PASSPHRASE: "batch crash test passphrase",
    };
    const run = launch(env);
    children.push(run.child);
    const client = new SignerClient({ url: await run.ready, token: TOKEN });
    const hot = (await client.key("evm-hot")).address;
    const { intent } = await client.signEvm("evm-hot", createProxyTx(hot, 0));
    const locks = Array.from({ length: BATCH }, (_, i) =>
      unsignedTx({
        to: String(intent["proxy"]),
        nonce: i + 1,
        data: proxyAbi.encodeFunctionData("lock", [1n]),
      }),
    );
    return { env, client, hot, locks, run };
  }

  async function restart(
    env: Record<string, string>,
  ): Promise<{ client: SignerClient; run: ReturnType<typeof launch> }> {
    const run = launch(env);
    children.push(run.child);
    return { client: new SignerClient({ url: await run.ready, token: TOKEN }), run };
  }

  const isReplay = (e: unknown): boolean => e instanceof SignerClientError && e.reason === "EVM_NONCE_REPLAY";

  it("journals all of a batch or none of it when killed mid-batch", async () => {
    const { env, client, hot, locks, run } = await prepared();
    let answered = false;
    const pending = client.signEvmBatch("evm-hot", locks).then(
      () => (answered = true),
      () => undefined,
    );
    // Long enough for the request to arrive, short of the ~100 signatures the batch needs.
    await new Promise((resolve) => setTimeout(resolve, 15));
    run.child.kill("SIGKILL");
    await run.exit;
    await pending;

    const dir = env["SIGNER_DATA_DIR"]!;
    const next = journaledNonce(dir, hot);
    assert.ok(next === 1 || next === BATCH + 1, `journal holds ${next}, not 1 or ${BATCH + 1}`);
    if (answered) assert.equal(next, BATCH + 1, "an answered batch is journaled");
    assert.ok(AuditLog.verify(join(dir, "audit.jsonl")) > 0, "audit chain intact");

    const again = await restart(env);
    assert.equal((await again.client.key("evm-hot")).nextNonce, String(next));
    if (next === 1) {
      // Nothing was released: the same nonces sign now, in one batch.
      const results = await again.client.signEvmBatch("evm-hot", locks);
      assert.ok(results.every((r) => r.ok));
    } else {
      await assert.rejects(again.client.signEvm("evm-hot", locks[BATCH - 1]!), isReplay);
    }
    again.run.child.kill("SIGTERM");
    await again.run.exit;
  });

  it("never signs a released nonce again after a SIGKILL right after the answer", async () => {
    const { env, client, locks, run } = await prepared();
    const results = await client.signEvmBatch("evm-hot", locks);
    assert.ok(results.every((r) => r.ok));
    run.child.kill("SIGKILL");
    await run.exit;

    const again = await restart(env);
    assert.equal((await again.client.key("evm-hot")).nextNonce, String(BATCH + 1));
    const replays = await again.client.signEvmBatch("evm-hot", locks.slice(0, 3));
    assert.ok(replays.every((r) => !r.ok && r.error.reason === "EVM_NONCE_REPLAY"));
    again.run.child.kill("SIGTERM");
    await again.run.exit;
  });
});
