import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { p256 } from "@noble/curves/nist.js";
import { blake2b } from "@noble/hashes/blake2.js";
import { runScript, pack, keyHashOfPublicKey, MichelsonRuntimeError } from "../../sandbox/michelson/index.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

// Checks a signature over the packed string in storage; fails with Unit when it does not verify.
const CHECK = `parameter (pair key signature);
storage string;
code { UNPAIR ; UNPAIR ; DIP 2 { DUP ; PACK } ; DIG 2 ; DIG 2 ; DIG 2 ; CHECK_SIGNATURE ; ASSERT ; NIL operation ; PAIR }`;

function check(keyHex: string, sigHex: string, message: string): boolean {
  try {
    runScript(CHECK, `Pair 0x${keyHex} 0x${sigHex}`, JSON.stringify(message));
    return true;
  } catch (e) {
    if (e instanceof MichelsonRuntimeError && e.kind === "failwith") return false;
    throw e;
  }
}

const digestOfPacked = (s: string): Uint8Array =>
  blake2b(pack({ prim: "string" }, { string: s }), { dkLen: 32 });

describe("CHECK_SIGNATURE", () => {
  it('accepts the protocol\'s Ed25519 vector (bootstrap1 signing PACK "hello")', () => {
    // From the protocol's opcode test `check_signature.tz` (bootstrap1 key and signature).
    const sig =
      "edsigu3QszDjUpeqYqbvhyRxMpVFamEnvm9FYnt7YiiNt9nmjYfh8ZTbsybZ5WnBkhA7zfHsRVyuTnRsGLR6fNHt1Up1FxgyRtF";
    const key = "edpkuBknW28nW72KG6RoHtYW7p12T6GKc7nAbwYX5m8Wd9sDVC9yav";
    const src = CHECK;
    assert.doesNotThrow(() => runScript(src, `Pair "${key}" "${sig}"`, '"hello"'));
    assert.throws(() => runScript(src, `Pair "${key}" "${sig}"`, '"abcd"'), /FAILWITH/);
  });

  it("verifies an Ed25519 signature made with noble over blake2b(message)", () => {
    const sk = new Uint8Array(32).fill(7);
    const pk = ed25519.getPublicKey(sk);
    const sig = ed25519.sign(digestOfPacked("withdraw 5"), sk);
    assert.equal(check(`00${hex(pk)}`, hex(sig), "withdraw 5"), true);
    assert.equal(check(`00${hex(pk)}`, hex(sig), "withdraw 6"), false);
  });

  it("rejects a signature by another key", () => {
    const pk = ed25519.getPublicKey(new Uint8Array(32).fill(1));
    const sig = ed25519.sign(digestOfPacked("x"), new Uint8Array(32).fill(2));
    assert.equal(check(`00${hex(pk)}`, hex(sig), "x"), false);
  });

  it("verifies secp256k1 (tz2) signatures", () => {
    const sk = secp256k1.utils.randomSecretKey();
    const sig = secp256k1.sign(digestOfPacked("m"), sk, { prehash: false });
    assert.equal(check(`01${hex(secp256k1.getPublicKey(sk))}`, hex(sig), "m"), true);
    assert.equal(check(`01${hex(secp256k1.getPublicKey(sk))}`, hex(sig), "n"), false);
  });

  it("verifies p256 (tz3) signatures", () => {
    const sk = p256.utils.randomSecretKey();
    const sig = p256.sign(digestOfPacked("m"), sk, { prehash: false });
    assert.equal(check(`02${hex(p256.getPublicKey(sk))}`, hex(sig), "m"), true);
    assert.equal(check(`02${hex(p256.getPublicKey(sk))}`, hex(sig), "n"), false);
  });

  it("returns false (does not throw) for a garbage signature", () => {
    const pk = ed25519.getPublicKey(new Uint8Array(32).fill(1));
    assert.equal(check(`00${hex(pk)}`, "00".repeat(64), "x"), false);
  });
});

describe("HASH_KEY", () => {
  it("hashes keys to the protocol's key hashes", () => {
    // Pairs from the protocol's opcode test `hash_key.tz`.
    assert.equal(
      keyHashOfPublicKey("edpkuBknW28nW72KG6RoHtYW7p12T6GKc7nAbwYX5m8Wd9sDVC9yav"),
      "tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx",
    );
    assert.equal(
      keyHashOfPublicKey("edpkuJqtDcA2m2muMxViSM47MPsGQzmyjnNTawUPqR8vZTAMcx61ES"),
      "tz1XPTDmvT3vVE5Uunngmixm7gj7zmdbPq6k",
    );
  });

  it("derives tz2 and tz3 hashes from secp256k1 and p256 keys", () => {
    const k1 = Uint8Array.from([1, ...secp256k1.getPublicKey(secp256k1.utils.randomSecretKey())]);
    const k3 = Uint8Array.from([2, ...p256.getPublicKey(p256.utils.randomSecretKey())]);
    assert.match(keyHashOfPublicKey(k1), /^tz2/);
    assert.match(keyHashOfPublicKey(k3), /^tz3/);
  });
});
