import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { IntegrityError, InvalidInputError } from "../../src/errors.js";
import type { EncryptedShare, PartyKeyFile } from "../../src/crypto/index.js";
import {
  decryptPartyKeys,
  decryptShare,
  deterministicRng,
  ed25519Group as G,
  encryptPartyKeys,
  encryptShare,
  generatePartyKeys,
  parseAccessStructure,
  readPartyKeyFile,
  splitSecret,
  structureHash,
  verifyShare,
  verifyTranscriptSignature,
  writePartyKeyFile,
} from "../../src/crypto/index.js";

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const rng = deterministicRng("encryption");
const dir = mkdtempSync(join(tmpdir(), "coldpath-keys-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const structure = parseAccessStructure({ threshold: 2, of: ["alice", "bob", "carol"] });
const dealt = splitSecret(G, G.randomScalar(rng), structure, rng);
const binding = { keyId: dealt.commitments.publicKey, structureHash: structureHash(structure) };
const alice = generatePartyKeys("alice", rng);
const bob = generatePartyKeys("bob", rng);
const integrity = (re: RegExp) => (e: unknown) => e instanceof IntegrityError && re.test(e.message);

describe("party key files", () => {
  it("round-trips through a passphrase-encrypted file on disk", () => {
    const path = join(dir, "alice.key.json");
    writePartyKeyFile(path, encryptPartyKeys(alice, "correct horse battery", FAST, rng));
    const back = decryptPartyKeys(readPartyKeyFile(path), "correct horse battery");
    assert.deepEqual(back.public, alice.public);
  });

  it("refuses a wrong passphrase and a tampered file with an IntegrityError", () => {
    const file = encryptPartyKeys(alice, "correct horse battery", FAST, rng);
    assert.throws(
      () => decryptPartyKeys(file, "wrong horse battery"),
      integrity(/key file of alice: wrong passphrase or tampered/),
    );
    const ct = file.ciphertext;
    const flipped = (ct[0] === "0" ? "1" : "0") + ct.slice(1);
    assert.throws(
      () => decryptPartyKeys({ ...file, ciphertext: flipped }, "correct horse battery"),
      IntegrityError,
    );
    const other: PartyKeyFile = { ...file, public: bob.public };
    assert.throws(() => decryptPartyKeys(other, "correct horse battery"), IntegrityError);
  });

  it("refuses weak passphrases and absurd scrypt parameters", () => {
    assert.throws(() => encryptPartyKeys(alice, "short", FAST, rng), InvalidInputError);
    assert.throws(
      () => encryptPartyKeys(alice, "long enough", { N: 1000, r: 8, p: 1 }, rng),
      InvalidInputError,
    );
  });

  it("signs transcripts with the Ed25519 key, domain-separated", () => {
    const t = utf8ToBytes("transcript bytes");
    const sig = alice.signTranscript(t);
    assert.equal(verifyTranscriptSignature(alice.public, t, sig), true);
    assert.equal(verifyTranscriptSignature(bob.public, t, sig), false);
    assert.equal(verifyTranscriptSignature(alice.public, utf8ToBytes("other"), sig), false);
  });
});

describe("encrypted shares", () => {
  const share = dealt.shares.get("alice")!;
  const enc = encryptShare(G, share, alice.public, binding, rng);

  it("decrypts for the right party and verifies against the commitments", () => {
    const back = decryptShare(G, enc, alice, binding);
    verifyShare(G, structure, dealt.commitments, "alice", back);
    assert.equal(back.entries[0]!.value, share.entries[0]!.value);
  });

  it("refuses to encrypt a share to another party", () => {
    assert.throws(() => encryptShare(G, share, bob.public, binding, rng), InvalidInputError);
  });

  it("fails when moved to another party", () => {
    const moved: EncryptedShare = { ...enc, party: "bob", recipientKeyId: bob.keyId };
    assert.throws(() => decryptShare(G, moved, bob, binding), integrity(/authentication failed/));
    assert.throws(() => decryptShare(G, enc, bob, binding), integrity(/addressed to "alice", not "bob"/));
  });

  it("fails for another key of the same party", () => {
    const alice2 = generatePartyKeys("alice", rng);
    assert.throws(() => decryptShare(G, enc, alice2, binding), integrity(/encrypted to key/));
    assert.throws(
      () => decryptShare(G, { ...enc, recipientKeyId: alice2.keyId }, alice2, binding),
      integrity(/authentication failed/),
    );
  });

  it("fails for another cold key or structure", () => {
    assert.throws(
      () => decryptShare(G, enc, alice, { ...binding, keyId: "00".repeat(32) }),
      integrity(/belongs to cold key/),
    );
    const relabelled = { ...enc, keyId: "00".repeat(32) };
    assert.throws(
      () => decryptShare(G, relabelled, alice, { ...binding, keyId: "00".repeat(32) }),
      integrity(/authentication failed/),
    );
    const other = structureHash(parseAccessStructure({ threshold: 3, of: ["alice", "bob", "carol"] }));
    assert.throws(
      () => decryptShare(G, { ...enc, structureHash: other }, alice, { ...binding, structureHash: other }),
      integrity(/authentication failed/),
    );
  });

  it("detects a flipped ciphertext byte and an altered leaf path", () => {
    const ct = enc.ciphertext;
    const flipped = ct.slice(0, 10) + (ct[10] === "a" ? "b" : "a") + ct.slice(11);
    assert.throws(
      () => decryptShare(G, { ...enc, ciphertext: flipped }, alice, binding),
      integrity(/encrypted share of alice: authentication failed/),
    );
    assert.throws(
      () => decryptShare(G, { ...enc, leafPaths: ["root.2"] }, alice, binding),
      integrity(/authentication failed/),
    );
  });
});
