// Tezos-facing key helpers checked by an independent implementation (Taquito), and the
// seed-import path of decision 0200.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ed25519 } from "@noble/curves/ed25519.js";
import { blake2b } from "@noble/hashes/blake2.js";
import { bytesToHex, concatBytes, hexToBytes } from "@noble/hashes/utils.js";
import { getPkhfromPk, verifySignature } from "@taquito/utils";
import type { FrostPublicPackage } from "../../src/crypto/index.js";
import {
  aggregate,
  commit,
  deterministicRng,
  ed25519Group as G,
  ed25519PublicKeyFromScalar,
  ed25519ScalarFromSeed,
  generateEd25519Scalar,
  messageDigest,
  parseAccessStructure,
  signShare,
  splitSecret,
  tezosAddress,
  tezosPublicKey,
  tezosSignature,
} from "../../src/crypto/index.js";

const RFC8032_TEST1_PK = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

function frostSign(
  pkg: FrostPublicPackage,
  shares: ReturnType<typeof splitSecret>["shares"],
  signers: string[],
  msg: Uint8Array,
) {
  const rng = deterministicRng("tezos");
  const binding = { messageDigest: messageDigest(msg), sessionId: "tz" };
  const r1 = signers.map((p) => commit(pkg, shares.get(p)!, rng, binding));
  const list = r1.map((r) => r.commitment);
  const z = signers.map((p, i) => signShare(pkg, shares.get(p)!, r1[i]!.nonces, list, msg, "tz"));
  return aggregate(pkg, list, msg, z);
}

describe("Tezos encodings", () => {
  it("encodes edpk and tz1 exactly as Taquito derives them", () => {
    const edpk = tezosPublicKey(hexToBytes(RFC8032_TEST1_PK));
    assert.match(edpk, /^edpk/);
    assert.equal(tezosAddress(hexToBytes(RFC8032_TEST1_PK)), getPkhfromPk(edpk));
    assert.match(tezosAddress(hexToBytes(RFC8032_TEST1_PK)), /^tz1/);
  });

  it("a FROST signature over a watermarked operation verifies with Taquito", () => {
    const structure = parseAccessStructure({
      all: [{ threshold: 2, of: ["alice", "bob", "carol"] }, { any: ["server-1", "server-2"] }],
    });
    const rng = deterministicRng("tezos-op");
    const d = splitSecret(G, generateEd25519Scalar(rng), structure, rng);
    const pkg = { structure, commitments: d.commitments };
    const forged = concatBytes(Uint8Array.of(0x03), rng(120)); // generic-operation watermark + bytes
    const digest = blake2b(forged, { dkLen: 32 });
    const sig = frostSign(pkg, d.shares, ["bob", "carol", "server-1"], digest);
    assert.equal(verifySignature(bytesToHex(forged), tezosPublicKey(d.publicKey), tezosSignature(sig)), true);
    const other = forged.slice();
    other[5]! ^= 1;
    assert.equal(verifySignature(bytesToHex(other), tezosPublicKey(d.publicKey), tezosSignature(sig)), false);
  });
});

describe("bringing an existing RFC 8032 seed under threshold control (decision 0200)", () => {
  it("shares of the expanded seed scalar sign for the wallet's public key", () => {
    const seed = deterministicRng("wallet")(32);
    const walletPk = ed25519.getPublicKey(seed);
    const s = ed25519ScalarFromSeed(seed);
    assert.equal(bytesToHex(ed25519PublicKeyFromScalar(s)), bytesToHex(walletPk));
    const structure = parseAccessStructure({ threshold: 2, of: ["a", "b", "c"] });
    const d = splitSecret(G, s, structure, deterministicRng("split"));
    assert.equal(bytesToHex(d.publicKey), bytesToHex(walletPk));
    const msg = new TextEncoder().encode("sweep");
    const sig = frostSign({ structure, commitments: d.commitments }, d.shares, ["a", "c"], msg);
    assert.equal(ed25519.verify(sig, msg, walletPk, { zip215: false }), true);
  });

  it("refuses seeds of the wrong length", () => {
    assert.throws(() => ed25519ScalarFromSeed(new Uint8Array(31)), /expected 32-byte seed, got 31/);
  });
});
