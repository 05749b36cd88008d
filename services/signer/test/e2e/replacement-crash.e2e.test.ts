/**
 * The real process (`src/main.ts`) SIGKILLed right after answering a replacement: on restart it
 * still knows what it last signed at that nonce and how many times it was replaced, so it refuses
 * a "replacement" priced against the first signature, accepts one priced against the last, stops
 * at SIGNER_EVM_MAX_REPLACEMENTS, and its next nonce never moved.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { Transaction } from "ethers";
import { SignerClient, SignerClientError } from "../../src/client.js";
import { AuditLog } from "../../src/state/audit.js";
import { minimumReplacementFee } from "../../src/allowlist/evm-replacement.js";
import { createProxyTx, journaledNonce, proxyAbi, tempDir, unsignedTx } from "../helpers/fixture.js";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const TOKEN = randomBytes(32).toString("hex");

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

const refusedFor =
  (reason: string, field: string) =>
  (e: unknown): boolean =>
    e instanceof SignerClientError && e.reason === reason && e.field === field;

describe("a signer killed right after signing a replacement", () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  });

  it("remembers the replacement and its count across SIGKILL and restart", async () => {
    const env = {
      SIGNER_API_TOKEN: TOKEN,
      SIGNER_POLICY_ENFORCEMENT: "off", // the gate has its own tests; this is about the journal
      SIGNER_PORT: "0",
      SIGNER_DATA_DIR: tempDir("coldpath-signer-replacement-"),
      SIGNER_SEALED_PASSPHRASE: "replacement crash test passphrase",
      SIGNER_EVM_MAX_REPLACEMENTS: "2",
    };
    const first = launch(env);
    children.push(first.child);
    let client = new SignerClient({ url: await first.ready, token: TOKEN });
    const hot = (await client.key("evm-hot")).address;
    const { intent } = await client.signEvm("evm-hot", createProxyTx(hot, 0));
    const lock = (fee: bigint, tip: bigint): string =>
      unsignedTx({
        to: String(intent["proxy"]),
        nonce: 1,
        maxFeePerGas: fee,
        maxPriorityFeePerGas: tip,
        data: proxyAbi.encodeFunctionData("lock", [1n]),
      });
    const bump = (f: { fee: bigint; tip: bigint }) => ({
      fee: minimumReplacementFee(f.fee),
      tip: minimumReplacementFee(f.tip),
    });
    const f0 = { fee: 10_000_000_000n, tip: 1_000_000_000n };
    const f1 = bump(f0);
    const f2 = bump(f1);
    await client.signEvm("evm-hot", lock(f0.fee, f0.tip));
    const answered = await client.signEvm("evm-hot", lock(f1.fee, f1.tip));
    assert.equal(Transaction.from(answered.signedTx).nonce, 1);
    first.child.kill("SIGKILL");
    await first.exit;

    const dir = env.SIGNER_DATA_DIR;
    assert.equal(journaledNonce(dir, hot), 2, "a replacement never moves the journaled nonce");
    assert.ok(AuditLog.verify(join(dir, "audit.jsonl")) > 0, "audit chain intact");

    const second = launch(env);
    children.push(second.child);
    client = new SignerClient({ url: await second.ready, token: TOKEN });
    assert.equal((await client.key("evm-hot")).nextNonce, "2");
    // Priced against the first signature only: the answered replacement is what counts now.
    await assert.rejects(
      client.signEvm("evm-hot", lock(f2.fee - 1n, f2.tip)),
      refusedFor("EVM_NONCE_REPLACEMENT_REFUSED", "maxFeePerGas"),
    );
    await assert.rejects(
      client.signEvm("evm-hot", lock(f1.fee, f1.tip)),
      refusedFor("EVM_NONCE_REPLAY", "nonce"),
    );
    await client.signEvm("evm-hot", lock(f2.fee, f2.tip));
    const f3 = bump(f2);
    await assert.rejects(
      client.signEvm("evm-hot", lock(f3.fee, f3.tip)),
      refusedFor("EVM_NONCE_REPLACEMENT_REFUSED", "replacements"),
    );
    assert.equal((await client.key("evm-hot")).nextNonce, "2");
    second.child.kill("SIGTERM");
    await second.exit;
  });
});
