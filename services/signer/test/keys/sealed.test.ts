import { describe, it } from "node:test";
import { tempDir } from "../helpers/fixture.js";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { SigningKey, getBytes, keccak256, recoverAddress, computeAddress } from "ethers";
import { ed25519 } from "@noble/curves/ed25519.js";
import { SealedKeyBackend } from "../../src/keys/sealed.js";
import { toRecoverable } from "../../src/keys/secp256k1.js";
import {
  InvalidInputError,
  SealedTamperedError,
  SealedWrongSecretError,
  UnknownKeyError,
} from "../../src/errors.js";

const CHEAP = { N: 1024, r: 8, p: 1 };
const PASS = "correct horse battery staple";

function tmp(): string {
  return tempDir("coldpath-sealed-");
}

async function sealedWithKeys(): Promise<{ path: string; dir: string }> {
  const dir = tmp();
  const path = join(dir, "keys.sealed.json");
  const b = await SealedKeyBackend.open({ path, secret: { passphrase: PASS }, create: true, scrypt: CHEAP });
  await b.generateKey("evm-hot", "secp256k1");
  await b.generateKey("tezos-hot", "ed25519");
  await b.close();
  return { path, dir };
}

describe("sealed key file backend", () => {
  it("signs digests that verify: secp256k1 recovers the address with ethers, Ed25519 verifies with noble", async () => {
    const { path } = await sealedWithKeys();
    const b = await SealedKeyBackend.open({ path, secret: { passphrase: PASS } });
    const evm = await b.getKey("evm-hot");
    const address = computeAddress(SigningKey.computePublicKey(evm.publicKey, false));
    for (let i = 0; i < 8; i++) {
      const digest = getBytes(keccak256(randomBytes(32)));
      const sig = toRecoverable(await b.signDigest("evm-hot", digest), digest, evm.publicKey);
      const r = "0x" + sig.r.toString(16).padStart(64, "0");
      const s = "0x" + sig.s.toString(16).padStart(64, "0");
      assert.equal(recoverAddress(digest, { r, s, yParity: sig.yParity }), address);
    }
    const tz = await b.getKey("tezos-hot");
    const digest = randomBytes(32);
    assert.ok(ed25519.verify(await b.signDigest("tezos-hot", digest), digest, tz.publicKey));
    await assert.rejects(b.signDigest("nope", digest), UnknownKeyError);
    await assert.rejects(b.signDigest("evm-hot", new Uint8Array(31)), InvalidInputError);
  });

  it("keeps no secret in clear on disk and leaves no temporary file behind", async () => {
    const { path, dir } = await sealedWithKeys();
    const text = readFileSync(path, "utf8");
    const b = await SealedKeyBackend.open({ path, secret: { passphrase: PASS } });
    const keys = await b.listKeys();
    assert.deepEqual(
      keys.map((k) => k.id),
      ["evm-hot", "tezos-hot"],
    );
    assert.doesNotMatch(text, /secret/i);
    assert.deepEqual(readdirSync(dir), ["keys.sealed.json"]);
  });

  it("refuses a wrong passphrase with a typed error", async () => {
    const { path } = await sealedWithKeys();
    await assert.rejects(
      SealedKeyBackend.open({ path, secret: { passphrase: PASS + "!" } }),
      SealedWrongSecretError,
    );
    await assert.rejects(SealedKeyBackend.open({ path, secret: { keyFile: path } }), InvalidInputError);
  });

  for (const [what, mutate] of [
    [
      "a flipped ciphertext byte",
      (f: Record<string, unknown>) => (f["ciphertext"] = flip(String(f["ciphertext"]))),
    ],
    [
      "a renamed key id in the header",
      (f: Record<string, unknown>) => ((f["keys"] as { id: string }[])[0]!.id = "evm-cold"),
    ],
    [
      "a lowered scrypt cost in the header",
      (f: Record<string, unknown>) => ((f["kdf"] as { N: number }).N = 512),
    ],
    [
      "a swapped public key in the header",
      (f: Record<string, unknown>) =>
        ((f["keys"] as { publicKey: string }[])[1]!.publicKey = "00".repeat(32)),
    ],
    ["a changed nonce", (f: Record<string, unknown>) => (f["nonce"] = flip(String(f["nonce"])))],
  ] as const) {
    it(`refuses tampering: ${what}`, async () => {
      const { path } = await sealedWithKeys();
      const file = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
      mutate(file);
      writeFileSync(path, JSON.stringify(file));
      await assert.rejects(
        SealedKeyBackend.open({ path, secret: { passphrase: PASS } }),
        (e: unknown) => e instanceof SealedTamperedError || e instanceof SealedWrongSecretError,
      );
    });
  }

  it("tells tampering from a wrong passphrase when the key check still matches", async () => {
    const { path } = await sealedWithKeys();
    const file = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    file["ciphertext"] = flip(String(file["ciphertext"]));
    writeFileSync(path, JSON.stringify(file));
    await assert.rejects(SealedKeyBackend.open({ path, secret: { passphrase: PASS } }), SealedTamperedError);
    writeFileSync(path, "not json");
    await assert.rejects(SealedKeyBackend.open({ path, secret: { passphrase: PASS } }), SealedTamperedError);
  });

  it("seals with a 32-byte key file instead of a passphrase", async () => {
    const dir = tmp();
    const keyFile = join(dir, "seal.key");
    writeFileSync(keyFile, randomBytes(32));
    const path = join(dir, "keys.sealed.json");
    const b = await SealedKeyBackend.open({ path, secret: { keyFile }, create: true });
    const k = await b.generateKey("evm-hot", "secp256k1");
    const again = await SealedKeyBackend.open({ path, secret: { keyFile } });
    assert.deepEqual((await again.getKey("evm-hot")).publicKey, k.publicKey);
    const other = join(dir, "other.key");
    writeFileSync(other, randomBytes(32));
    await assert.rejects(SealedKeyBackend.open({ path, secret: { keyFile: other } }), SealedWrongSecretError);
    writeFileSync(other, randomBytes(31));
    await assert.rejects(SealedKeyBackend.open({ path, secret: { keyFile: other } }), InvalidInputError);
  });

  it("refuses a short passphrase, a missing file, a duplicate or malformed key id", async () => {
    const dir = tmp();
    await assert.rejects(
      SealedKeyBackend.open({ path: join(dir, "a"), secret: { passphrase: "short" }, create: true }),
      InvalidInputError,
    );
    await assert.rejects(
      SealedKeyBackend.open({ path: join(dir, "missing"), secret: { passphrase: PASS } }),
      InvalidInputError,
    );
    const b = await SealedKeyBackend.open({
      path: join(dir, "k"),
      secret: { passphrase: PASS },
      create: true,
      scrypt: CHEAP,
    });
    await b.generateKey("a", "ed25519");
    await assert.rejects(b.generateKey("a", "ed25519"), InvalidInputError);
    await assert.rejects(b.generateKey("../etc", "ed25519"), InvalidInputError);
  });
});

function flip(hex: string): string {
  const first = parseInt(hex.slice(0, 2), 16) ^ 1;
  return first.toString(16).padStart(2, "0") + hex.slice(2);
}
