/**
 * libsecp256k1 signs for the software keys and recovers every signature the signer releases or the
 * worker accepts (decisions 1040, 1045). Each build that loads here (the native addon and the
 * WebAssembly one) is held to the same rules: RFC 6979 makes its signatures a pure function of key
 * and digest, so they must equal noble's byte for byte, bit included; recovery must agree with
 * noble's on honest and arbitrary signatures, and refuse what cannot recover.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import {
  recoverPublicKey,
  secp256k1Engine,
  secp256k1Engines,
  signCompact,
  signRecoverable,
  type Secp256k1Engine,
} from "../../src/keys/libsecp256k1.js";

const N = secp256k1.Point.CURVE().n;
const HALF_N = N >> 1n;
const hex32 = (v: bigint): Uint8Array => hexToBytes(v.toString(16).padStart(64, "0"));
const scalar = fc.bigInt({ min: 1n, max: N - 1n });
const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

/**
 * EIP-155's worked example (https://eips.ethereum.org/EIPS/eip-155, "Example"): key 0x4646…46,
 * the nonce-9 transfer's signing hash, v = 37 (yParity 0), r and s as published.
 */
const EIP155 = {
  secretKey: hexToBytes("46".repeat(32)),
  digest: hexToBytes("daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53"),
  r: 18515461264373351373200002665853028612451056578545711640558177340181847433846n,
  s: 46948507304638947509940763649030358759909902576025900602547168820602576006531n,
};

function conformance(engine: Secp256k1Engine): void {
  describe(`libsecp256k1 signing (${engine.name})`, () => {
    it("reproduces the EIP-155 example signature and its recovery bit", () => {
      const { rs, recovery } = signRecoverable(EIP155.digest, EIP155.secretKey, engine);
      assert.equal(bytesToHex(rs), bytesToHex(hex32(EIP155.r)) + bytesToHex(hex32(EIP155.s)));
      assert.equal(recovery, 0);
      assert.equal(bytesToHex(signCompact(EIP155.digest, EIP155.secretKey, engine)), bytesToHex(rs));
    });

    it("signs exactly what noble signs (RFC 6979), low-s, for random keys and digests", () => {
      fc.assert(
        fc.property(scalar, digestArb, (k, digest) => {
          const secretKey = hex32(k);
          const ours = signRecoverable(digest, secretKey, engine);
          const noble = secp256k1.sign(digest, secretKey, { prehash: false, format: "recovered" });
          assert.equal(bytesToHex(ours.rs), bytesToHex(noble.subarray(1)));
          assert.equal(ours.recovery, noble[0]);
          assert.ok(BigInt("0x" + bytesToHex(ours.rs.subarray(32))) <= HALF_N, "low-s");
          assert.equal(bytesToHex(signCompact(digest, secretKey, engine)), bytesToHex(ours.rs));
        }),
        { numRuns: 200 },
      );
    });

    it("refuses a zero or out-of-range secret and a digest that is not 32 bytes", () => {
      const digest = hexToBytes("11".repeat(32));
      assert.throws(() => signRecoverable(digest, new Uint8Array(32), engine));
      assert.throws(() => signRecoverable(digest, hex32(N), engine));
      assert.throws(() => signRecoverable(digest.subarray(1), hex32(5n), engine));
      assert.throws(() => signCompact(Uint8Array.of(...digest, 0), hex32(5n), engine));
    });
  });

  describe(`libsecp256k1 recovery (${engine.name})`, () => {
    it("gives the key back in either encoding, and another key for the other bit", () => {
      fc.assert(
        fc.property(scalar, digestArb, (k, digest) => {
          const secretKey = hex32(k);
          const { rs, recovery } = signRecoverable(digest, secretKey, engine);
          const full = recoverPublicKey(digest, rs, recovery, false, engine);
          const short = recoverPublicKey(digest, rs, recovery, true, engine);
          assert.equal(bytesToHex(full!), bytesToHex(secp256k1.getPublicKey(secretKey, false)));
          assert.equal(bytesToHex(short!), bytesToHex(secp256k1.getPublicKey(secretKey, true)));
          const flipped = recoverPublicKey(digest, rs, recovery === 0 ? 1 : 0, false, engine);
          assert.notEqual(flipped === null ? null : bytesToHex(flipped), bytesToHex(full!));
        }),
        { numRuns: 100 },
      );
    });

    it("agrees with noble's recovery on arbitrary (r, s, bit)", () => {
      fc.assert(
        fc.property(scalar, scalar, fc.constantFrom<0 | 1>(0, 1), digestArb, (r, s, bit, digest) => {
          let expected: string | null;
          try {
            expected = bytesToHex(new secp256k1.Signature(r, s, bit).recoverPublicKey(digest).toBytes(false));
          } catch {
            expected = null;
          }
          const got = recoverPublicKey(digest, Uint8Array.of(...hex32(r), ...hex32(s)), bit, false, engine);
          assert.equal(got === null ? null : bytesToHex(got), expected);
        }),
        { numRuns: 200 },
      );
    });

    it("answers null, never throws, for r or s of zero or n and for malformed lengths", () => {
      const digest = hexToBytes("11".repeat(32));
      const r = hex32(EIP155.r);
      const s = hex32(EIP155.s);
      for (const [name, d, rs] of [
        ["r = 0", digest, Uint8Array.of(...new Uint8Array(32), ...s)],
        ["s = 0", digest, Uint8Array.of(...r, ...new Uint8Array(32))],
        ["r = n", digest, Uint8Array.of(...hex32(N), ...s)],
        ["s = n", digest, Uint8Array.of(...r, ...hex32(N))],
        ["63-byte signature", digest, Uint8Array.of(...r, ...s).subarray(1)],
        ["31-byte digest", digest.subarray(1), Uint8Array.of(...r, ...s)],
      ] as const) {
        assert.equal(recoverPublicKey(d, rs, 0, false, engine), null, name);
        assert.equal(recoverPublicKey(d, rs, 1, true, engine), null, name);
      }
    });
  });
}

for (const engine of secp256k1Engines) conformance(engine);

describe("libsecp256k1 build selection", () => {
  it("signs with the native addon on this platform, which has a prebuilt binary for it", () => {
    // linux-x64 is one of the platforms the package ships a binary for: falling back here would
    // mean the addon stopped loading, and the signer lost its speed without anyone noticing.
    if (process.platform === "linux" && process.arch === "x64") {
      assert.equal(secp256k1Engine.name, "native", secp256k1Engine.nativeError);
      assert.deepEqual(
        secp256k1Engines.map((e) => e.name),
        ["native", "wasm"],
      );
    } else assert.equal(secp256k1Engines.at(-1)!.name, "wasm");
  });
});
