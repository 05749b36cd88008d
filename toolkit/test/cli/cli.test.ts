import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Transaction } from "ethers";
import { verifySignature } from "@taquito/utils";
import { COMMANDS } from "../../src/cli/commands.js";
import type { CliIo } from "../../src/cli/framework.js";
import { runCli } from "../../src/cli/framework.js";
import { buildEvmRequest, buildTezosRequest } from "../../src/chains/index.js";
import { requestEnvelope } from "../../src/ceremony/index.js";
import { serializeEnvelope } from "../../src/envelope/index.js";
import { tempDir } from "../ceremony/helpers.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const CLI = join(ROOT, "toolkit/src/cli.ts");

function io(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    interactive: false,
    env: {},
    prompt: () => Promise.reject(new Error("not interactive")),
  };
}

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string; json: unknown }> {
  const t = io();
  const code = await runCli(COMMANDS, argv, t);
  const out = t.stdout.join("\n");
  let json: unknown;
  try {
    json = JSON.parse(out);
  } catch {
    json = undefined;
  }
  return { code, out, err: t.stderr.join("\n"), json };
}

function spawn(...argv: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...argv], { cwd: ROOT, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("CLI framework", () => {
  it("answers --help on every command with its options", async () => {
    for (const cmd of COMMANDS) {
      const r = await run(...cmd.name, "--help");
      assert.equal(r.code, 0, cmd.name.join(" "));
      assert.match(r.out, new RegExp(`Usage: coldpath ${cmd.name.join(" ")}`));
      assert.match(r.out, /--json/);
    }
    const top = await run("--help");
    assert.equal(top.code, 0);
    for (const cmd of COMMANDS) assert.ok(top.out.includes(cmd.name.join(" ")));
  });

  it("fails with one clear line and exit 2 on a bad command line", async () => {
    const unknown = await run("frost", "round3");
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /^coldpath: error \[USAGE\]: unknown command "frost round3" \(did you mean/);
    const missing = await run("transcript", "verify");
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--transcript is required/);
    const extra = await run("burn", "list", "--registry", "x", "--frobnicate");
    assert.equal(extra.code, 2);
    assert.equal(extra.err.split("\n").length, 1);
  });

  it("fails with exit 1 and a JSON error object on bad input", async () => {
    const r = await run("request", "show", "--request", "/nonexistent.json", "--json");
    assert.equal(r.code, 1);
    assert.deepEqual(Object.keys((r.json as { error: object }).error), ["code", "message"]);
    assert.match(r.err, /cannot read \/nonexistent\.json \(ENOENT\)/);
  });
});

describe("CLI recovery flow", () => {
  const dir = tempDir("cli");
  const p = (f: string): string => join(dir, f);
  const names = ["alice", "bob", "carol"];
  let keys: { id: string; address: string }[] = [];

  before(async () => {
    for (const n of names) {
      writeFileSync(p(`${n}.pass`), `passphrase of ${n}\n`);
      const r = await run(
        "party",
        "create",
        "--name",
        n,
        "--out",
        dir,
        "--passphrase-file",
        p(`${n}.pass`),
        "--scrypt-n",
        "1024",
      );
      assert.equal(r.code, 0, r.err);
    }
    const r = await run(
      "ceremony",
      "run",
      "--json",
      "--structure",
      JSON.stringify({ threshold: 2, of: names }),
      ...names.flatMap((n) => ["--party", p(`${n}.party.json`)]),
      "--signer",
      p("alice.key.json"),
      "--signer",
      p("carol.key.json"),
      "--passphrase-file",
      p("alice.pass"),
      "--passphrase-file",
      p("carol.pass"),
      "--dice",
      "6 5 4 3 2 1 1 2 3 4",
      "--out",
      p("ceremony"),
    );
    assert.equal(r.code, 0, r.err);
    keys = (r.json as { keys: { id: string; address: string }[] }).keys;
  });

  const addr = (id: string): string => keys.find((k) => k.id === id)!.address;

  it("verifies the transcript, names a tampered one, and checks a share", async () => {
    assert.equal((await run("transcript", "verify", "--transcript", p("ceremony/transcript.json"))).code, 0);
    const ok = await run(
      "share",
      "verify",
      "--share",
      p("ceremony/shares/bob.share.json"),
      "--key",
      p("bob.key.json"),
      "--passphrase-file",
      p("bob.pass"),
      "--transcript",
      p("ceremony/transcript.json"),
    );
    assert.equal(ok.code, 0, ok.err);
    const file = p("ceremony/shares/carol.share.json");
    const original = readFileSync(file, "utf8");
    writeFileSync(file, original.replace(/"party":"carol"/, '"party":"carl"'));
    const bad = await run("transcript", "verify", "--transcript", p("ceremony/transcript.json"));
    assert.equal(bad.code, 1);
    assert.match(bad.err, /\[INTEGRITY\]: artefact shares\/carol\.share\.json/);
    writeFileSync(file, original);
  });

  it("signs EVM through the real binary, then refuses the burned key", async () => {
    const from = addr("evm-current");
    const tx = {
      chainId: "1",
      maxPriorityFeePerGas: "1000000000",
      maxFeePerGas: "20000000000",
      gasLimit: "21000",
      to: "0x000000000000000000000000000000000000dEaD",
      value: "5",
      data: "0x",
    };
    const first = requestEnvelope(buildEvmRequest({ tx: { ...tx, nonce: "0" }, from }));
    writeFileSync(p("evm-1.json"), serializeEnvelope(first));
    const common = [
      "--shares",
      `${p("ceremony/shares/alice.share.json")},${p("ceremony/shares/bob.share.json")}`,
      "--keys",
      `${p("alice.key.json")},${p("bob.key.json")}`,
      "--passphrases",
      "passphrase of alice,passphrase of bob",
      "--registry",
      p("ceremony/burn-registry.jsonl"),
    ];
    const show = await run("request", "show", "--request", p("evm-1.json"));
    assert.equal(show.code, 0, show.err);
    assert.match(show.out, /0x000000000000000000000000000000000000dEaD/);
    const signed = spawn(
      "evm",
      "sign",
      "--request",
      p("evm-1.json"),
      ...common,
      "--expect-digest",
      first.payload.digest,
      "--out",
      p("evm-1.signed.json"),
      "--json",
    );
    assert.equal(signed.status, 0, signed.stderr);
    const raw = (JSON.parse(signed.stdout) as { raw: string }).raw;
    assert.equal(Transaction.from(raw).from, from);

    const second = requestEnvelope(buildEvmRequest({ tx: { ...tx, nonce: "1" }, from }));
    writeFileSync(p("evm-2.json"), serializeEnvelope(second));
    const refused = spawn(
      "evm",
      "sign",
      "--request",
      p("evm-2.json"),
      ...common,
      "--expect-digest",
      second.payload.digest,
      "--out",
      p("evm-2.signed.json"),
    );
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^coldpath: error \[KEY_BURNED\]/);
    assert.equal(refused.stderr.trim().split("\n").length, 1);
    const wrongDigest = spawn(
      "evm",
      "sign",
      "--request",
      p("evm-1.json"),
      ...common,
      "--expect-digest",
      second.payload.digest,
      "--out",
      p("x.json"),
    );
    assert.match(wrongDigest.stderr, /DIGEST_MISMATCH/);
  });

  it("sweeps the burned EVM key interactively: display, typed digest prefix, hidden passphrases", async () => {
    writeFileSync(
      p("sweep-evm.params.json"),
      JSON.stringify({
        chain: "evm",
        chainId: "1",
        nonce: "1",
        maxFeePerGas: "20000000000",
        maxPriorityFeePerGas: "1000000000",
        ethBalance: "3000000000000000",
      }),
    );
    const prep = await run(
      "sweep",
      "prepare",
      "--registry",
      p("ceremony/burn-registry.jsonl"),
      "--key",
      addr("evm-current"),
      "--params",
      p("sweep-evm.params.json"),
      "--out",
      p("sweep-evm"),
    );
    assert.equal(prep.code, 0, prep.err);
    const asked: string[] = [];
    const t = io();
    const terminal: CliIo = {
      ...t,
      interactive: true,
      prompt: async (question, options) => {
        asked.push(`${options?.secret ? "secret:" : ""}${question}`);
        if (question.startsWith("Passphrase for"))
          return question.includes("bob") ? "passphrase of bob" : "passphrase of carol";
        const digest = /Digest:\s+0x([0-9a-f]{8})/.exec(t.stderr.join("\n"));
        return digest ? digest[1]! : "";
      },
    };
    const code = await runCli(
      COMMANDS,
      [
        "evm",
        "sign",
        "--request",
        p("sweep-evm/sweep-1.json"),
        "--shares",
        `${p("ceremony/shares/bob.share.json")},${p("ceremony/shares/carol.share.json")}`,
        "--keys",
        `${p("bob.key.json")},${p("carol.key.json")}`,
        "--registry",
        p("ceremony/burn-registry.jsonl"),
        "--out",
        p("sweep-evm/signed-1.json"),
        "--json",
      ],
      terminal,
    );
    assert.equal(code, 0, t.stderr.join("\n"));
    assert.match(asked[0]!, /^Type the first 8 hex digits/);
    assert.deepEqual(
      asked.slice(1).map((q) => q.startsWith("secret:Passphrase for")),
      [true, true],
    );
    assert.match(t.stderr.join("\n"), /TRUSTED DISPLAY/);
    const raw = (JSON.parse(t.stdout.join("")) as { raw: string }).raw;
    assert.equal(Transaction.from(raw).to, addr("evm-successor"));
  });

  it("signs Tezos with FROST rounds, moving every envelope through QR PNG files", async () => {
    const source = addr("tezos-current");
    const request = await buildTezosRequest({
      operation: {
        branch: "BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2",
        contents: [
          {
            kind: "transaction",
            source,
            fee: "1500",
            counter: "7",
            gasLimit: "5000",
            storageLimit: "0",
            amount: "0",
            destination: "KT1PWx2mnDueood7fEmfbBDKx1D9BAnnXitn",
            parameters: { entrypoint: "withdraw", value: { int: "1000000" } },
          },
        ],
      },
      chainId: "NetXdQprcVkpaWU",
    });
    writeFileSync(p("tz.json"), serializeEnvelope(requestEnvelope(request)));
    const signers = ["alice", "carol"];
    for (const n of signers) {
      const r = await run(
        "frost",
        "round1",
        "--request",
        p("tz.json"),
        "--share",
        p(`ceremony/shares/${n}.share.json`),
        "--key",
        p(`${n}.key.json`),
        "--passphrase-file",
        p(`${n}.pass`),
        "--nonce-store",
        p(`nonces-${n}`),
        "--registry",
        p("ceremony/burn-registry.jsonl"),
        "--out",
        p(`r1-${n}.json`),
      );
      assert.equal(r.code, 0, r.err);
      // Across the air gap by camera: PNG out, PNG in.
      assert.equal(
        (await run("qr", "encode", "--in", p(`r1-${n}.json`), "--png", dir, "--name", `qr-r1-${n}`)).code,
        0,
      );
      const pngs = readdirSync(dir)
        .filter((f) => f.startsWith(`qr-r1-${n}-`))
        .map((f) => p(f));
      const d = await run("qr", "decode", "--out", p(`r1-${n}.scanned.json`), ...pngs);
      assert.equal(d.code, 0, d.err);
    }
    const relay = await run(
      "frost",
      "relay",
      "collect",
      "--request",
      p("tz.json"),
      "--round1",
      signers.map((n) => p(`r1-${n}.scanned.json`)).join(","),
      "--out",
      p("pkg.json"),
    );
    assert.equal(relay.code, 0, relay.err);
    for (const n of signers) {
      const r = await run(
        "frost",
        "round2",
        "--package",
        p("pkg.json"),
        "--request",
        p("tz.json"),
        "--share",
        p(`ceremony/shares/${n}.share.json`),
        "--key",
        p(`${n}.key.json`),
        "--passphrase-file",
        p(`${n}.pass`),
        "--nonce-store",
        p(`nonces-${n}`),
        "--registry",
        p("ceremony/burn-registry.jsonl"),
        "--expect-digest",
        request.digest,
        "--out",
        p(`r2-${n}.json`),
      );
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /withdraw/);
    }
    const again = await run(
      "frost",
      "round2",
      "--package",
      p("pkg.json"),
      "--share",
      p("ceremony/shares/alice.share.json"),
      "--key",
      p("alice.key.json"),
      "--passphrase-file",
      p("alice.pass"),
      "--nonce-store",
      p("nonces-alice"),
      "--registry",
      p("ceremony/burn-registry.jsonl"),
      "--expect-digest",
      request.digest,
      "--out",
      p("r2-again.json"),
    );
    assert.equal(again.code, 1);
    assert.match(again.err, /NONCE_REUSED/);
    const agg = await run(
      "frost",
      "aggregate",
      "--json",
      "--package",
      p("pkg.json"),
      "--round2",
      signers.map((n) => p(`r2-${n}.json`)).join(","),
      "--out",
      p("tz.signed.json"),
    );
    assert.equal(agg.code, 0, agg.err);
    const s = agg.json as { signedBytes: string; publicKey: string; signature: string };
    assert.ok(verifySignature(s.signedBytes.slice(0, -128), s.publicKey, s.signature, new Uint8Array([3])));

    const burned = await run("burn", "list", "--registry", p("ceremony/burn-registry.jsonl"), "--json");
    const list = (burned.json as { keys: { keyId: string; burned: boolean }[] }).keys;
    assert.ok(list.every((k) => k.burned));

    writeFileSync(
      p("sweep.params.json"),
      JSON.stringify({
        chain: "tezos",
        chainId: "NetXdQprcVkpaWU",
        branch: "BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2",
        counter: "7",
        balance: "1200000",
        transfer: { fee: "500", gasLimit: "1500", storageLimit: "0" },
      }),
    );
    const sweep = await run(
      "sweep",
      "prepare",
      "--json",
      "--registry",
      p("ceremony/burn-registry.jsonl"),
      "--key",
      source,
      "--params",
      p("sweep.params.json"),
      "--out",
      p("sweep"),
    );
    assert.equal(sweep.code, 0, sweep.err);
    assert.equal((sweep.json as { successor: string }).successor, addr("tezos-successor"));
  });

  it("creates a party through the real binary", async () => {
    const r = spawn(
      "party",
      "create",
      "--name",
      "dave",
      "--out",
      dir,
      "--passphrases",
      "passphrase of dave",
      "--scrypt-n",
      "1024",
      "--json",
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { party: string }).party, "dave");
    const again = spawn(
      "party",
      "create",
      "--name",
      "dave",
      "--out",
      dir,
      "--passphrases",
      "passphrase of dave",
      "--scrypt-n",
      "1024",
    );
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists/);
  });
});
