import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import {
  canonicalJson,
  createEnvelope,
  openEnvelope,
  parseEnvelope,
  readEnvelopeFile,
  serializeEnvelope,
  writeEnvelopeFile,
} from "../../src/envelope/index.js";
import { IntegrityError, InvalidInputError } from "../../src/errors.js";

describe("canonical JSON", () => {
  it("sorts keys at every depth and drops whitespace", () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, "x"], c: null } }), '{"a":{"c":null,"d":[1,"x"]},"b":1}');
  });

  it("refuses values with several textual forms or none", () => {
    assert.throws(() => canonicalJson({ amount: 1.5 }), InvalidInputError);
    assert.throws(() => canonicalJson({ amount: 2 ** 60 }), /safe integers/);
    assert.throws(() => canonicalJson({ a: undefined }), /value\.a/);
    assert.throws(() => canonicalJson({ a: 1n }), /bigint/);
    assert.throws(() => canonicalJson(new Date()), /plain objects/);
  });
});

describe("envelopes", () => {
  const payload = { name: "alice", keys: { x25519: "ab".repeat(32) } };

  it("checksums the canonical JSON of version, type and payload", () => {
    const env = createEnvelope("party-public", payload);
    const expected = createHash("sha256")
      .update(canonicalJson({ coldpath: 1, type: "party-public", payload }))
      .digest("hex");
    assert.equal(env.checksum, expected);
    assert.deepEqual(parseEnvelope(serializeEnvelope(env), "party-public").payload, payload);
  });

  it("accepts the same envelope whatever the key order of the file", () => {
    const env = createEnvelope("party-public", payload);
    const reordered = JSON.stringify(
      { checksum: env.checksum, payload: env.payload, type: env.type, coldpath: 1 },
      null,
      2,
    );
    assert.equal(parseEnvelope(reordered).checksum, env.checksum);
  });

  it("names the envelope type when a payload byte is tampered", () => {
    const text = serializeEnvelope(createEnvelope("round1", { party: "alice", hiding: "00".repeat(32) }));
    const tampered = text.replace('"alice"', '"mallory"');
    assert.throws(
      () => parseEnvelope(tampered),
      (e: unknown) =>
        e instanceof IntegrityError && e.subject === "round1 envelope" && e.code === "INTEGRITY",
    );
  });

  it("refuses a tampered type even when the payload is untouched", () => {
    const env = createEnvelope("round1", { party: "alice" });
    assert.throws(() => openEnvelope({ ...env, type: "round2" }), IntegrityError);
  });

  it("refuses unknown versions, unknown types, unexpected types and extra fields", () => {
    const env = createEnvelope("share", { party: "alice" });
    assert.throws(() => openEnvelope({ ...env, coldpath: 2 }), /unsupported envelope version 2/);
    assert.throws(() => openEnvelope({ ...env, type: "banana" }), /unknown envelope type "banana"/);
    assert.throws(() => openEnvelope(env, "transcript"), /expected transcript, got share/);
    assert.throws(() => openEnvelope({ ...env, note: "hi" }), /unknown field\(s\) note/);
    assert.throws(() => openEnvelope({ ...env, checksum: "XYZ" }), /envelope\.checksum/);
    assert.throws(() => parseEnvelope("{not json"), /not valid JSON/);
    assert.throws(() => openEnvelope([env]), /must be a JSON object/);
  });

  it("writes files atomically and reads them back with the path in errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "cp-env-"));
    const file = join(dir, "a.json");
    const env = createEnvelope("signature", { signature: "aa" });
    writeEnvelopeFile(file, env);
    assert.deepEqual(readEnvelopeFile(file, "signature"), env);
    assert.deepEqual(readdirSync(dir), ["a.json"], "no temporary file is left behind");
    writeFileSync(file, readFileSync(file, "utf8").replace('"aa"', '"ab"'));
    assert.throws(() => readEnvelopeFile(file), /signature envelope: checksum mismatch/);
    assert.throws(
      () => readEnvelopeFile(join(dir, "missing.json")),
      /cannot read .*missing\.json \(ENOENT\)/,
    );
    writeFileSync(file, "[]");
    assert.throws(
      () => readEnvelopeFile(file),
      (e: unknown) => e instanceof InvalidInputError && e.field.startsWith(file),
    );
  });
});
