import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCeremony } from "../../src/ceremony/run.js";
import { verifyTranscript } from "../../src/ceremony/verify.js";
import { keyByLabel, openShare, readShareFile } from "../../src/ceremony/shares.js";
import { parseEnvelope, serializeEnvelope } from "../../src/envelope/index.js";
import { createEnvelope } from "../../src/envelope/envelope.js";
import { combineShares, secp256k1Group, ed25519Group, parseAccessStructure } from "../../src/crypto/index.js";
import { IntegrityError, InvalidInputError } from "../../src/errors.js";
import { makeParties, tempDir, unlock } from "./helpers.js";

const FLAT = { threshold: 2, of: ["alice", "bob", "carol"] };

function ceremony(structure: unknown, names: string[], signers: string[]) {
  const dir = tempDir("cer");
  const parties = makeParties(names, dir);
  const out = join(dir, "ceremony");
  const result = runCeremony({
    parties: names.map((n) => {
      const p = parties.get(n)!;
      return { public: p.created.public, ...(signers.includes(n) ? { keys: unlock(p.created, n) } : {}) };
    }),
    structure,
    entropy: "3 6 1 4 2 5 6 6 1 2 3 4",
    outDir: out,
  });
  return { dir, out, parties, result };
}

describe("key ceremony", () => {
  it("writes one share file per party, a registry and a transcript that verifies", () => {
    const { out, result } = ceremony(FLAT, ["alice", "bob", "carol"], ["alice", "bob", "carol"]);
    assert.deepEqual(readdirSync(join(out, "shares")).sort(), [
      "alice.share.json",
      "bob.share.json",
      "carol.share.json",
    ]);
    const evm = result.keys.find((k) => k.id === "evm-current")!;
    const next = result.keys.find((k) => k.id === "evm-successor")!;
    assert.match(evm.address, /^0x[0-9a-fA-F]{40}$/);
    assert.equal(evm.successor, next.address);
    assert.match(result.keys.find((k) => k.id === "tezos-current")!.address, /^tz1/);
    const report = verifyTranscript(result.transcriptFile, {
      requireAllSignatures: true,
      registry: result.registryFile,
    });
    assert.deepEqual(report.signedBy, ["alice", "bob", "carol"]);
    assert.equal(report.structure, "2 of {alice, bob, carol}");
    assert.equal(report.keys.length, 4);
    const transcript = JSON.parse(readFileSync(result.transcriptFile, "utf8"));
    assert.equal(transcript.payload.body.entropy.source, "os+dice");
  });

  it("never writes a secret scalar in the clear", () => {
    const { out, parties, result } = ceremony(FLAT, ["alice", "bob", "carol"], ["alice"]);
    const structure = parseAccessStructure(FLAT);
    const shares = ["alice", "bob"].map((n) => {
      const loaded = readShareFile(result.shareFiles[n]!);
      return openShare(loaded, keyByLabel(loaded, "evm-current"), unlock(parties.get(n)!.created, n));
    });
    const key = readShareFile(result.shareFiles.alice!).envelope.payload.keys.find(
      (k) => k.id === "evm-current",
    )!;
    const secret = combineShares(secp256k1Group, structure, key.commitments, shares);
    const hex = secret.toString(16).padStart(64, "0");
    for (const file of [result.transcriptFile, result.registryFile, ...Object.values(result.shareFiles)]) {
      assert.ok(!readFileSync(file, "utf8").includes(hex), `${file} holds the secret`);
    }
    assert.ok(readdirSync(out).length > 0);
  });

  it("splits hierarchical structures and reports who did not sign", () => {
    const structure = {
      all: [{ threshold: 2, of: ["alice", "bob", "carol"] }, { any: ["server-1", "server-2"] }, "head"],
    };
    const names = ["alice", "bob", "carol", "server-1", "server-2", "head"];
    const { parties, result } = ceremony(structure, names, ["alice", "head"]);
    const report = verifyTranscript(result.transcriptFile);
    assert.equal(report.structure, "2 of {alice, bob, carol} AND 1 of {server-1, server-2} AND head");
    assert.deepEqual(report.notSignedBy, ["bob", "carol", "server-1", "server-2"]);
    assert.throws(
      () => verifyTranscript(result.transcriptFile, { requireAllSignatures: true }),
      /not signed by bob/,
    );
    const parsed = parseAccessStructure(structure);
    const open = (n: string) => {
      const loaded = readShareFile(result.shareFiles[n]!);
      return openShare(loaded, keyByLabel(loaded, "tezos-current"), unlock(parties.get(n)!.created, n));
    };
    const key = readShareFile(result.shareFiles.alice!).envelope.payload.keys.find(
      (k) => k.id === "tezos-current",
    )!;
    combineShares(ed25519Group, parsed, key.commitments, ["alice", "carol", "server-2", "head"].map(open));
    assert.throws(
      () =>
        combineShares(ed25519Group, parsed, key.commitments, ["alice", "bob", "carol", "server-1"].map(open)),
      InvalidInputError,
    );
  });

  it("names the party of a tampered or misplaced share", () => {
    const { parties, result } = ceremony(FLAT, ["alice", "bob", "carol"], ["alice"]);
    const loaded = readShareFile(result.shareFiles.bob!);
    const key = keyByLabel(loaded, "evm-current");
    const flipped = key.encrypted.ciphertext.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    const tampered = { ...loaded, envelope: { ...loaded.envelope, payload: { ...loaded.envelope.payload } } };
    const bobKeys = unlock(parties.get("bob")!.created, "bob");
    assert.throws(
      () => openShare(tampered, { ...key, encrypted: { ...key.encrypted, ciphertext: flipped } }, bobKeys),
      (e: unknown) => e instanceof IntegrityError && /encrypted share of bob/.test(e.message),
    );
    // Bob's share of the successor key presented as his share of the current key.
    const successor = keyByLabel(loaded, "evm-successor");
    assert.throws(
      () => openShare(loaded, { ...key, encrypted: successor.encrypted }, bobKeys),
      IntegrityError,
    );
    assert.throws(
      () => openShare(loaded, key, unlock(parties.get("alice")!.created, "alice")),
      /cannot open the share file of bob/,
    );
  });

  it("refuses parties that do not match the structure and a used output folder", () => {
    const dir = tempDir("cer-bad");
    const parties = makeParties(["alice", "bob", "dave"], dir);
    const input = (n: string) => ({
      public: parties.get(n)!.created.public,
      keys: unlock(parties.get(n)!.created, n),
    });
    assert.throws(
      () =>
        runCeremony({
          parties: ["alice", "bob", "dave"].map(input),
          structure: FLAT,
          outDir: join(dir, "x"),
        }),
      /dave does not appear in the access structure/,
    );
    assert.throws(
      () => runCeremony({ parties: ["alice", "bob"].map(input), structure: FLAT, outDir: join(dir, "x") }),
      /no public key file for carol/,
    );
    assert.throws(
      () =>
        runCeremony({
          parties: ["alice", "bob"].map((n) => ({ public: parties.get(n)!.created.public })),
          structure: { threshold: 2, of: ["alice", "bob"] },
          outDir: join(dir, "x"),
        }),
      /at least one party must be present/,
    );
    assert.throws(
      () =>
        runCeremony({
          parties: ["alice", "bob"].map(input),
          structure: { threshold: 3, of: ["alice", "bob"] },
          outDir: join(dir, "x"),
        }),
      InvalidInputError,
    );
    const ok = {
      parties: ["alice", "bob"].map(input),
      structure: { threshold: 2, of: ["alice", "bob"] },
      outDir: join(dir, "y"),
    };
    runCeremony(ok);
    assert.throws(() => runCeremony(ok), /already holds a ceremony/);
  });
});

describe("transcript tampering", () => {
  const { result } = ceremony(FLAT, ["alice", "bob", "carol"], ["alice", "bob"]);
  const original = readFileSync(result.transcriptFile, "utf8");

  function tampered(edit: (payload: { body: Record<string, unknown>; signatures: unknown[] }) => void): void {
    const env = parseEnvelope(original, "transcript");
    const payload = JSON.parse(JSON.stringify(env.payload));
    edit(payload);
    // Re-checksummed: the attacker can always recompute the envelope checksum.
    writeFileSync(result.transcriptFile, serializeEnvelope(createEnvelope("transcript", payload)));
  }

  it("names a changed address", () => {
    tampered((p) => {
      const keys = p.body.keys as { address: string }[];
      keys[0]!.address = "0x000000000000000000000000000000000000dEaD";
    });
    assert.throws(
      () => verifyTranscript(result.transcriptFile),
      (e: unknown) => e instanceof IntegrityError && /signature of alice/.test(e.message),
    );
    writeFileSync(result.transcriptFile, original);
    verifyTranscript(result.transcriptFile);
  });

  it("names a dropped signature's replacement and a bad checksum", () => {
    tampered((p) => {
      (p.signatures as { party: string }[])[0]!.party = "carol";
    });
    assert.throws(() => verifyTranscript(result.transcriptFile), /signature of carol/);
    writeFileSync(result.transcriptFile, original.replace('"version":1', '"version":2'));
    assert.throws(() => verifyTranscript(result.transcriptFile), /transcript envelope: checksum mismatch/);
    writeFileSync(result.transcriptFile, original);
  });

  it("names a share file changed after the ceremony", () => {
    const shareFile = result.shareFiles.bob!;
    const share = readFileSync(shareFile, "utf8");
    writeFileSync(
      shareFile,
      share.replace(/"ciphertext":"(.)/, (_m, c: string) => `"ciphertext":"${c === "0" ? "1" : "0"}`),
    );
    assert.throws(() => verifyTranscript(result.transcriptFile), /artefact shares\/bob\.share\.json/);
    writeFileSync(shareFile, share);
    verifyTranscript(result.transcriptFile);
  });
});
