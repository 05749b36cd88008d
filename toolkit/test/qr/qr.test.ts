import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { createEnvelope, parseEnvelope, serializeEnvelope } from "../../src/envelope/index.js";
import {
  base45Decode,
  base45Encode,
  qrTerminal,
  readQrPng,
  readQrPngs,
  reassembleParts,
  reassembleText,
  splitIntoParts,
  writeQrPngs,
} from "../../src/qr/index.js";
import { IntegrityError, InvalidInputError } from "../../src/errors.js";

describe("base45", () => {
  it("matches the RFC 9285 examples", () => {
    assert.equal(base45Encode(new TextEncoder().encode("AB")), "BB8");
    assert.equal(base45Encode(new TextEncoder().encode("Hello!!")), "%69 VD92EX0");
    assert.equal(base45Encode(new TextEncoder().encode("ietf!")), "QED8WEX0");
    assert.equal(new TextDecoder().decode(base45Decode("QED8WEX0")), "ietf!");
  });

  it("round-trips random bytes of every small length", () => {
    for (let n = 0; n < 64; n++) {
      const bytes = new Uint8Array(randomBytes(n));
      assert.deepEqual(base45Decode(base45Encode(bytes)), bytes);
    }
  });

  it("refuses invalid text", () => {
    assert.throws(() => base45Decode("GGW"), /overflows/);
    assert.throws(() => base45Decode("A"), /invalid length/);
    assert.throws(() => base45Decode("ab"), /invalid character/);
  });
});

describe("QR parts", () => {
  const big = serializeEnvelope(createEnvelope("transcript", { blob: randomBytes(1500).toString("hex") }));

  it("reassembles parts given in any order, with duplicates", () => {
    const parts = splitIntoParts(big, 500);
    assert.ok(parts.length > 4);
    const shuffled = [...parts].reverse();
    shuffled.push(parts[1]!);
    assert.equal(reassembleText(shuffled), big);
  });

  it("keeps spaces at the edges of a chunk (a space is a base45 digit)", () => {
    // 0x0024 encodes as " 00": the first part starts with a space.
    const bytes = new Uint8Array([0x00, 0x24, ...new Uint8Array(40).fill(7), 0x00, 0x24]);
    const parts = splitIntoParts(bytes, 16);
    assert.ok(parts[0]!.split(":")[3]!.startsWith(" "));
    assert.deepEqual(reassembleParts(parts), bytes);
    assert.deepEqual(reassembleParts(parts.map((p) => `${p}\r\n`)), bytes);
  });

  it("lists the missing parts", () => {
    const parts = splitIntoParts(big, 500);
    assert.throws(
      () => reassembleParts(parts.filter((_, i) => i !== 1 && i !== 3)),
      /missing part\(s\) 2, 4 of/,
    );
  });

  it("refuses parts from another set and a tampered chunk", () => {
    const a = splitIntoParts(big, 500);
    const b = splitIntoParts(big.replace("transcript", "signature"), 500);
    assert.throws(() => reassembleParts([a[0]!, b[1]!, ...a.slice(2)]), /belongs to set/);
    const tampered = [...a];
    const last = tampered[2]!;
    tampered[2] = last.slice(0, -3) + (last.endsWith("000") ? "111" : "000");
    assert.throws(
      () => reassembleParts(tampered),
      (e: unknown) => e instanceof IntegrityError || e instanceof InvalidInputError,
    );
    assert.throws(() => reassembleParts(["hello"]), /not a CP1 QR part/);
    assert.throws(() => reassembleParts(["CP1:3/2:0011223344556677:AB"]), /out of range/);
  });

  it("renders terminal blocks", async () => {
    const blocks = await qrTerminal("CP1 test", { style: "utf8" });
    assert.equal(blocks.length, 1);
    assert.match(blocks[0]!, /[█▀▄]/);
  });
});

describe("QR PNG files", () => {
  const dir = mkdtempSync(join(tmpdir(), "cp-qr-"));

  it("round-trips a small envelope through one PNG", async () => {
    const env = createEnvelope("round1", {
      party: "alice",
      hiding: "11".repeat(32),
      binding: "22".repeat(32),
    });
    const files = await writeQrPngs(serializeEnvelope(env), dir, "round1-alice");
    assert.equal(files.length, 1);
    assert.deepEqual(parseEnvelope(readQrPngs(files), "round1"), env);
  });

  it("round-trips a multi-part envelope through PNGs read in any order", async () => {
    const env = createEnvelope("signing-request", { bytes: randomBytes(1200).toString("hex") });
    const files = await writeQrPngs(serializeEnvelope(env), dir, "request", { chunk: 900 });
    assert.ok(files.length >= 3, `expected several parts, got ${files.length}`);
    assert.match(readQrPng(files[0]!), /^CP1:1\/\d+:/);
    assert.deepEqual(parseEnvelope(readQrPngs([...files].reverse()), "signing-request"), env);
  });

  it("says which file has no QR code", () => {
    assert.throws(() => readQrPng(join(dir, "none.png")), /not a readable PNG/);
  });
});
