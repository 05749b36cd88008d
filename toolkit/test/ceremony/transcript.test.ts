import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePartyKeys } from "../../src/crypto/party-keys.js";
import {
  artefactPath,
  checkTranscriptArtefacts,
  checkTranscriptSignatures,
  countersignTranscript,
  sha256Hex,
  signTranscript,
} from "../../src/ceremony/transcript.js";
import type { TranscriptBody, TranscriptSigner } from "../../src/ceremony/transcript.js";
import { IntegrityError, InvalidInputError } from "../../src/errors.js";

function signer(name: string) {
  const keys = generatePartyKeys(name);
  return { signer: keys as TranscriptSigner, party: { name, ...keys.public, envelopeSha256: "11" } };
}

describe("transcript signatures", () => {
  const alice = signer("alice");
  const bob = signer("bob");
  const mallory = signer("mallory");
  const body: TranscriptBody = {
    version: 1,
    ceremonyId: "c1",
    createdAt: "2026-11-22T00:00:00.000Z",
    entropy: { source: "os", diceRolls: 0, diceEntropyBits: 0 },
    structure: { json: { threshold: 1, of: ["alice", "bob"] }, description: "1 of {alice, bob}", hash: "00" },
    parties: [alice.party, bob.party],
    keys: [],
    artefacts: [],
  };

  it("verifies signatures of parties present and lets an absent party countersign", () => {
    const env = signTranscript(body, [alice.signer]);
    assert.deepEqual(checkTranscriptSignatures(env.payload), ["alice"]);
    const both = countersignTranscript(env, bob.signer);
    assert.deepEqual(checkTranscriptSignatures(both.payload), ["alice", "bob"]);
    assert.throws(() => countersignTranscript(both, bob.signer), /already signed/);
  });

  it("refuses strangers, impostors and altered bodies, naming the signer", () => {
    assert.throws(() => signTranscript(body, [mallory.signer]), InvalidInputError);
    const impostor: TranscriptSigner = {
      party: "bob",
      signTranscript: (m) => mallory.signer.signTranscript(m),
    };
    assert.throws(() => signTranscript(body, [impostor]), /signature of bob/);
    const env = signTranscript(body, [alice.signer, bob.signer]);
    const altered = { ...env.payload, body: { ...body, ceremonyId: "c2" } };
    assert.throws(
      () => checkTranscriptSignatures(altered),
      (e: unknown) => e instanceof IntegrityError && e.subject === "signature of alice",
    );
    assert.throws(() => checkTranscriptSignatures({ ...env.payload, signatures: [] }), /no party signature/);
  });

  it("checks artefact hashes and refuses paths outside the ceremony folder", () => {
    const dir = mkdtempSync(join(tmpdir(), "cp-tr-"));
    const file = join(dir, "transcript.json");
    writeFileSync(join(dir, "a.json"), "hello");
    const withArtefact: TranscriptBody = {
      ...body,
      artefacts: [{ path: "a.json", type: "share", sha256: sha256Hex(new TextEncoder().encode("hello")) }],
    };
    checkTranscriptArtefacts(file, withArtefact);
    writeFileSync(join(dir, "a.json"), "hellO");
    assert.throws(() => checkTranscriptArtefacts(file, withArtefact), /artefact a\.json: sha256/);
    assert.throws(() => artefactPath(file, "../etc/passwd"), /leaves the ceremony folder/);
    assert.throws(
      () =>
        checkTranscriptArtefacts(file, {
          ...withArtefact,
          artefacts: [{ path: "b.json", type: "x", sha256: "00" }],
        }),
      /artefact b\.json: is missing/,
    );
  });
});
