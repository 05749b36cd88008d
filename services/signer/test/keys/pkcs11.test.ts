import { describe, it, before, after } from "node:test";
import { tempDir } from "../helpers/fixture.js";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Transaction, computeAddress, getBytes, keccak256, recoverAddress, SigningKey } from "ethers";
import { ed25519 } from "@noble/curves/ed25519.js";
import { Pkcs11KeyBackend } from "../../src/keys/pkcs11.js";
import { toRecoverable } from "../../src/keys/secp256k1.js";
import { HsmError } from "../../src/errors.js";
import { SOFTHSM_LIBRARY, initToken, softhsmSkip } from "../helpers/softhsm.js";
import { createProxyTx, makeFixture } from "../helpers/fixture.js";
import { loadConfig } from "../../src/config.js";
import { startSigner } from "../../src/app.js";
import { SignerClient } from "../../src/client.js";

const PIN = "98765432";

describe("PKCS#11 backend (SoftHSM)", { skip: softhsmSkip }, () => {
  let hsm: Pkcs11KeyBackend;
  before(async () => {
    // SoftHSM lists slots once per process, so every token is created before the first open.
    for (const label of ["signer-test", "signer-core", "signer-pin", "signer-app"]) initToken(label, PIN);
    hsm = Pkcs11KeyBackend.open({ library: SOFTHSM_LIBRARY, tokenLabel: "signer-test", pin: PIN });
    await hsm.generateKey("evm-hot", "secp256k1");
    await hsm.generateKey("tezos-hot", "ed25519");
  });
  after(() => hsm.close());

  it("generates keys inside the token that cannot be read out (CKR_ATTRIBUTE_SENSITIVE)", () => {
    for (const id of ["evm-hot", "tezos-hot"]) {
      assert.deepEqual(hsm.keyProtection(id), {
        sensitive: true,
        extractable: false,
        valueReadError: "CKR_ATTRIBUTE_SENSITIVE",
      });
    }
  });

  it("normalises raw CKM_ECDSA signatures to low-s and finds the recovery id (ethers recovers the address)", async () => {
    const key = await hsm.getKey("evm-hot");
    const address = computeAddress(SigningKey.computePublicKey(key.publicKey, false));
    const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    let highS = 0;
    for (let i = 0; i < 24; i++) {
      const digest = getBytes(keccak256(randomBytes(32)));
      const raw = await hsm.signDigest("evm-hot", digest);
      if (BigInt("0x" + Buffer.from(raw.subarray(32)).toString("hex")) > N / 2n) highS++;
      const sig = toRecoverable(raw, digest, key.publicKey);
      assert.ok(sig.s <= N / 2n);
      const hex = (v: bigint): string => "0x" + v.toString(16).padStart(64, "0");
      assert.equal(recoverAddress(digest, { r: hex(sig.r), s: hex(sig.s), yParity: sig.yParity }), address);
    }
    // 24 fair coin flips all landing low has probability 2^-24: the high-s path was exercised.
    assert.ok(highS > 0);
  });

  it("signs Ed25519 with CKM_EDDSA and noble verifies it", async () => {
    const key = await hsm.getKey("tezos-hot");
    const digest = randomBytes(32);
    assert.ok(ed25519.verify(await hsm.signDigest("tezos-hot", digest), digest, key.publicKey));
  });

  it("finds its keys again in a new session", async () => {
    const again = Pkcs11KeyBackend.open({ library: SOFTHSM_LIBRARY, tokenLabel: "signer-test", pin: PIN });
    assert.deepEqual(
      (await again.listKeys()).map((k) => [k.id, k.curve]),
      [
        ["evm-hot", "secp256k1"],
        ["tezos-hot", "ed25519"],
      ],
    );
  });

  it("signs an allowed EVM transaction through the core with the token's key", async () => {
    const backend = Pkcs11KeyBackend.open({ library: SOFTHSM_LIBRARY, tokenLabel: "signer-core", pin: PIN });
    const f = await makeFixture({ backend });
    const { signedTx } = await f.core.signEvm("evm-hot", createProxyTx(f.evmAddress));
    assert.equal(Transaction.from(signedTx).from, f.evmAddress);
  });

  it("runs the whole signer with SIGNER_BACKEND=pkcs11, creating the configured keys in the token", async () => {
    const running = await startSigner(
      loadConfig({
        SIGNER_API_TOKEN: "p".repeat(40),
        SIGNER_POLICY_ENFORCEMENT: "off", // predates the policy gate (issue 7)
        SIGNER_PORT: "0",
        SIGNER_DATA_DIR: tempDir("coldpath-signer-p11-"),
        SIGNER_BACKEND: "pkcs11",
        SIGNER_PKCS11_LIBRARY: SOFTHSM_LIBRARY,
        SIGNER_PKCS11_TOKEN_LABEL: "signer-app",
        SIGNER_PKCS11_PIN: PIN,
      }),
    );
    try {
      const client = new SignerClient({ url: running.url, token: "p".repeat(40) });
      assert.deepEqual(await client.health(), { status: "ok", backend: "pkcs11", keys: 2 });
      const evm = await client.key("evm-hot");
      const { signedTx } = await client.signEvm("evm-hot", createProxyTx(evm.address));
      assert.equal(Transaction.from(signedTx).from, evm.address);
    } finally {
      await running.close();
    }
  });

  it("refuses a wrong PIN and an unknown token label with typed errors", () => {
    assert.throws(
      // A token no session of this process is logged in to (PKCS#11 login state is per application).
      () => Pkcs11KeyBackend.open({ library: SOFTHSM_LIBRARY, tokenLabel: "signer-pin", pin: "00000000" }),
      (e: unknown) => e instanceof HsmError && e.ckr === "CKR_PIN_INCORRECT",
    );
    assert.throws(
      () => Pkcs11KeyBackend.open({ library: SOFTHSM_LIBRARY, tokenLabel: "no-such-token", pin: PIN }),
      (e: unknown) => e instanceof HsmError && e.ckr === "CKR_TOKEN_NOT_PRESENT",
    );
  });
});
