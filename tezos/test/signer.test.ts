/**
 * The software Ed25519 signer and the Taquito adapter, checked against RFC 8032 vectors and
 * against Taquito's own InMemorySigner (an independent implementation of Tezos signing).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { InMemorySigner } from "@taquito/signer";
import { PrefixV2, b58DecodeAndCheckPrefix, buf2hex, verifySignature } from "@taquito/utils";
import fc from "fast-check";
import {
  GENERIC_WATERMARK,
  SoftwareEd25519Signer,
  TaquitoSignerAdapter,
  parseDelegationStorage,
} from "../src/index.js";

interface Vector {
  readonly secretKey: string;
  readonly publicKey: string;
}
const vectors = (
  JSON.parse(readFileSync(new URL("./vectors/rfc8032-ed25519.json", import.meta.url), "utf8")) as {
    vectors: Vector[];
  }
).vectors;

describe("SoftwareEd25519Signer", () => {
  it("derives the RFC 8032 public keys from their seeds", async () => {
    assert.ok(vectors.length >= 5);
    for (const v of vectors) {
      const signer = new SoftwareEd25519Signer(Uint8Array.from(Buffer.from(v.secretKey, "hex")));
      const pk = b58DecodeAndCheckPrefix(await signer.publicKey(), [PrefixV2.Ed25519PublicKey], true);
      assert.equal(buf2hex(pk), v.publicKey);
    }
  });

  it("signs exactly like Taquito's InMemorySigner (same key, bytes and watermark)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        async (seed, bytes) => {
          const ours = new SoftwareEd25519Signer(seed);
          const theirs = await InMemorySigner.fromSecretKey(ours.exportSecretKey());
          assert.equal(await ours.publicKeyHash(), await theirs.publicKeyHash());
          const a = await new TaquitoSignerAdapter(ours).sign(buf2hex(bytes), GENERIC_WATERMARK);
          const b = await theirs.sign(buf2hex(bytes), GENERIC_WATERMARK);
          assert.equal(a.sig, b.sig);
          assert.equal(a.prefixSig, b.prefixSig);
          assert.equal(a.sbytes, b.sbytes);
          assert.ok(verifySignature(buf2hex(bytes), await ours.publicKey(), a.prefixSig, GENERIC_WATERMARK));
        },
      ),
      { numRuns: 25 },
    );
  });

  it("refuses seeds that are not 32 bytes and never exposes a secret through the adapter", async () => {
    assert.throws(() => new SoftwareEd25519Signer(new Uint8Array(31)), /seed/);
    assert.equal(await new TaquitoSignerAdapter(SoftwareEd25519Signer.generate()).secretKey(), undefined);
  });
});

describe("parseDelegationStorage", () => {
  it("reads both the readable and the optimized (bytes) forms", () => {
    const cold = "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb";
    const hot = "tz1aSkwEot3L2kmUvcoxzjMomb9mvBNuzFK6";
    const raw = (tz1: string): string =>
      `00${buf2hex(b58DecodeAndCheckPrefix(tz1, [PrefixV2.Ed25519PublicKeyHash], true))}`;
    assert.deepEqual(parseDelegationStorage({ prim: "Pair", args: [{ string: cold }, { string: hot }] }), {
      cold,
      hot,
    });
    assert.deepEqual(
      parseDelegationStorage({ prim: "Pair", args: [{ bytes: raw(cold) }, { bytes: raw(hot) }] }),
      {
        cold,
        hot,
      },
    );
    assert.throws(() => parseDelegationStorage({ prim: "Unit" }));
  });
});
