import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../src/config.js";
import { ConfigError } from "../src/errors.js";

const TOKEN = "t".repeat(32);
const base = { SIGNER_API_TOKEN: TOKEN, SIGNER_SEALED_PASSPHRASE: "a long enough passphrase" };

describe("configuration", () => {
  it("defaults to the embedded sealed backend on 127.0.0.1 and the local deployment's factories", () => {
    const c = loadConfig(base);
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.port, 7001);
    assert.equal(c.backend.kind, "sealed");
    assert.equal(c.evm.chainId, 31337n);
    assert.equal(c.evm.factories.length, 2);
    assert.deepEqual(c.keys, [
      { keyId: "evm-hot", curve: "secp256k1" },
      { keyId: "tezos-hot", curve: "ed25519" },
    ]);
  });

  it("ignores the API service's SIGNER_URL and SIGNER_TOKEN in a shared environment", () => {
    assert.equal(
      loadConfig({ ...base, SIGNER_URL: "http://127.0.0.1:7001", SIGNER_TOKEN: TOKEN }).port,
      7001,
    );
  });

  for (const [name, env, field] of [
    ["no API token", { SIGNER_SEALED_PASSPHRASE: "a long enough passphrase" }, "SIGNER_API_TOKEN"],
    ["a short API token", { ...base, SIGNER_API_TOKEN: "short" }, "SIGNER_API_TOKEN"],
    ["no sealing secret", { SIGNER_API_TOKEN: TOKEN }, "SIGNER_SEALED_PASSPHRASE"],
    ["both sealing secrets", { ...base, SIGNER_SEALED_KEY_FILE: "/k" }, "SIGNER_SEALED_PASSPHRASE"],
    ["pkcs11 without a PIN", { SIGNER_API_TOKEN: TOKEN, SIGNER_BACKEND: "pkcs11" }, "SIGNER_PKCS11_PIN"],
    ["an unknown backend", { ...base, SIGNER_BACKEND: "yubikey" }, "SIGNER_BACKEND"],
    ["a port out of range", { ...base, SIGNER_PORT: "70000" }, "SIGNER_PORT"],
    ["a negative chain id", { ...base, SIGNER_EVM_CHAIN_ID: "-1" }, "SIGNER_EVM_CHAIN_ID"],
    ["a malformed factory list", { ...base, SIGNER_EVM_FACTORIES: "0x1234" }, "SIGNER_EVM_FACTORIES"],
    ["a malformed key list", { ...base, SIGNER_KEYS: "evm-hot:rsa" }, "SIGNER_KEYS"],
    ["a misspelt setting", { ...base, SIGNER_EVM_CHAINID: "1" }, "SIGNER_EVM_CHAINID"],
    ["a malformed baker", { ...base, SIGNER_TEZOS_BAKERS: "tz1nope" }, "SIGNER_TEZOS_BAKERS"],
  ] as const) {
    it(`refuses to start with ${name}, naming ${field}`, () => {
      assert.throws(
        () => loadConfig(env as Record<string, string>),
        (e: unknown) => e instanceof ConfigError && e.field === field,
      );
    });
  }

  it("lists every setting in .env.example", () => {
    const example = readFileSync(fileURLToPath(new URL("../.env.example", import.meta.url)), "utf8");
    const source = readFileSync(fileURLToPath(new URL("../src/config.ts", import.meta.url)), "utf8");
    const settings = [...source.matchAll(/^\s+(SIGNER_[A-Z0-9_]+):/gm)].map((m) => m[1]!);
    assert.ok(settings.length > 15);
    for (const s of settings)
      assert.match(example, new RegExp(`^#? ?${s}=`, "m"), `${s} missing from .env.example`);
  });
});
