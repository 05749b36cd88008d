/**
 * The real process (`src/main.ts`): configuration refusal at start, and a SIGKILL right after a
 * signature: on restart the nonce and the learned proxy are still there, so the same nonce can
 * never be signed twice.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { SignerClient, SignerClientError } from "../../src/client.js";
import { createProxyTx, proxyAbi, tempDir, unsignedTx } from "../helpers/fixture.js";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const TOKEN = randomBytes(32).toString("hex");

function launch(env: Record<string, string>): {
  child: ChildProcess;
  ready: Promise<string>;
  exit: Promise<[number | null, string]>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<[number | null, string]>((resolve) =>
    child.on("exit", (code) => resolve([code, stderr])),
  );
  const ready = new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const line = out.split("\n").find((l) => l.includes('"signer listening"'));
      if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
    });
    void exit.then(([code, err]) => reject(new Error(`signer exited ${code}: ${err}`)));
  });
  // Callers that only await `exit` must not see the start-up failure as an unhandled rejection.
  ready.catch(() => undefined);
  return { child, ready, exit };
}

describe("the signer process", () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  });

  it("refuses to start without an API token, naming the variable", async () => {
    const { exit } = launch({ SIGNER_SEALED_PASSPHRASE: "a long enough passphrase" });
    const [code, stderr] = await exit;
    assert.equal(code, 1);
    assert.match(stderr, /SIGNER_API_TOKEN: required/);
  });

  it("keeps nonce and learned proxy across a SIGKILL right after signing", async () => {
    const env = {
      SIGNER_API_TOKEN: TOKEN,
      SIGNER_POLICY_ENFORCEMENT: "off", // predates the policy gate (issue 7)
      SIGNER_PORT: "0",
      SIGNER_DATA_DIR: tempDir("coldpath-signer-proc-"),
      SIGNER_SEALED_PASSPHRASE: "process test passphrase",
    };
    const first = launch(env);
    children.push(first.child);
    let client = new SignerClient({ url: await first.ready, token: TOKEN });
    const hot = (await client.key("evm-hot")).address;
    const { intent } = await client.signEvm("evm-hot", createProxyTx(hot, 0));
    first.child.kill("SIGKILL");
    await first.exit;

    const second = launch(env);
    children.push(second.child);
    client = new SignerClient({ url: await second.ready, token: TOKEN });
    assert.equal((await client.key("evm-hot")).address, hot, "same sealed key after restart");
    assert.equal((await client.key("evm-hot")).nextNonce, "1");
    await assert.rejects(
      client.signEvm("evm-hot", createProxyTx(hot, 0, "0x" + "00".repeat(16) + "cd".repeat(16))),
      // A different call at a used nonce is never a fee-bump replacement (decision 0963).
      (e: unknown) =>
        e instanceof SignerClientError && e.reason === "EVM_NONCE_REPLACEMENT_REFUSED" && e.field === "data",
    );
    const lock = unsignedTx({
      to: String(intent["proxy"]),
      nonce: 1,
      data: proxyAbi.encodeFunctionData("lock", [1n]),
    });
    await client.signEvm("evm-hot", lock);
    second.child.kill("SIGTERM");
    assert.deepEqual((await second.exit)[0], 0);
  });
});
