/**
 * The known-key check that replaces public-key recovery must say yes exactly when recovering the
 * signature with the given bit gives the key: checked against noble's recovery on random keys,
 * digests and (also forged) signatures, on a published vector, and on every malformed input.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { isSignatureOfKey } from "../../src/keys/known-key-verify.js";
import { checkRecoverable, toRecoverable } from "../../src/keys/secp256k1.js";
import { SignerError } from "../../src/errors.js";

const Point = secp256k1.Point;
const N = Point.CURVE().n;
const P = Point.CURVE().p;
const HALF_N = N >> 1n;

/**
 * EIP-155's worked example (https://eips.ethereum.org/EIPS/eip-155, "Example"): private key
 * 0x4646…46, signing hash of the nonce-9 transfer on chain 1, v = 37 (yParity 0).
 */
const EIP155 = {
  secretKey: hexToBytes("46".repeat(32)),
  digest: hexToBytes("daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53"),
  r: 18515461264373351373200002665853028612451056578545711640558177340181847433846n,
  s: 46948507304638947509940763649030358759909902576025900602547168820602576006531n,
  yParity: 0 as const,
};

const hex32 = (v: bigint): Uint8Array => hexToBytes(v.toString(16).padStart(64, "0"));
const scalar = fc.bigInt({ min: 1n, max: N - 1n });
const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** What noble's recovery says: the uncompressed key recovered with `bit`, or null. */
function recovered(digest: Uint8Array, r: bigint, s: bigint, bit: number): string | null {
  try {
    return bytesToHex(new secp256k1.Signature(r, s, bit).recoverPublicKey(digest).toBytes(false));
  } catch {
    return null;
  }
}

function signed(secretKey: Uint8Array, digest: Uint8Array): { r: bigint; s: bigint; bit: 0 | 1 } {
  const sig = secp256k1.Signature.fromBytes(
    secp256k1.sign(digest, secretKey, { prehash: false, format: "recovered" }),
    "recovered",
  );
  return { r: sig.r, s: sig.s, bit: sig.recovery === 1 ? 1 : 0 };
}

describe("isSignatureOfKey", () => {
  const pub = secp256k1.getPublicKey(EIP155.secretKey, false);

  it("accepts the EIP-155 example signature with its bit, for either key encoding", () => {
    const { digest, r, s, yParity } = EIP155;
    assert.ok(isSignatureOfKey(pub, digest, r, s, yParity));
    assert.ok(isSignatureOfKey(secp256k1.getPublicKey(EIP155.secretKey, true), digest, r, s, yParity));
    assert.equal(recovered(digest, r, s, yParity), bytesToHex(pub), "the vector itself recovers the key");
    assert.equal(isSignatureOfKey(pub, digest, r, s, 1), false, "wrong yParity");
  });

  it("refuses tampering and malformed input without throwing", () => {
    const { digest, r, s, yParity } = EIP155;
    const other = secp256k1.getPublicKey(hexToBytes("47".repeat(32)), false);
    const tampered = Uint8Array.from(digest);
    tampered[31] = tampered[31]! ^ 1;
    const cases: [string, Uint8Array, Uint8Array, bigint, bigint, number][] = [
      ["wrong key", other, digest, r, s, yParity],
      ["tampered digest", pub, tampered, r, s, yParity],
      ["high-s twin", pub, digest, r, N - s, 1],
      ["high-s twin, same bit", pub, digest, r, N - s, 0],
      ["r = 0", pub, digest, 0n, s, yParity],
      ["s = 0", pub, digest, r, 0n, yParity],
      ["r = n", pub, digest, N, s, yParity],
      ["r + n", pub, digest, r + N, s, yParity],
      ["s = n", pub, digest, r, N, yParity],
      ["negative r", pub, digest, -r, s, yParity],
      ["r bumped", pub, digest, r + 1n, s, yParity],
      ["s bumped", pub, digest, r, s + 1n, yParity],
      ["31-byte digest", pub, digest.subarray(1), r, s, yParity],
      ["33-byte digest", pub, Uint8Array.of(0, ...digest), r, s, yParity],
      ["key not on the curve", Uint8Array.of(4, ...new Uint8Array(64).fill(1)), digest, r, s, yParity],
      ["key of the wrong length", pub.subarray(1), digest, r, s, yParity],
      ["yParity 2", pub, digest, r, s, 2],
    ];
    for (const [name, key, d, rr, ss, bit] of cases) {
      assert.equal(isSignatureOfKey(key, d, rr, ss, bit as 0 | 1), false, name);
    }
    assert.equal(isSignatureOfKey(pub, digest, 1 as unknown as bigint, s, yParity), false, "number r");
  });

  it("agrees with noble on honest signatures of random keys and digests", () => {
    fc.assert(
      fc.property(scalar, digestArb, digestArb, (k, digest, otherDigest) => {
        const secretKey = hex32(k);
        const key = secp256k1.getPublicKey(secretKey, false);
        const { r, s, bit } = signed(secretKey, digest);
        assert.equal(recovered(digest, r, s, bit), bytesToHex(key));
        assert.ok(isSignatureOfKey(key, digest, r, s, bit));
        assert.equal(isSignatureOfKey(key, digest, r, s, bit === 0 ? 1 : 0), false);
        const same = bytesToHex(otherDigest) === bytesToHex(digest);
        assert.equal(isSignatureOfKey(key, otherDigest, r, s, bit), same);
      }),
      { numRuns: 25 },
    );
  });

  it("says yes exactly when noble's recovery with that bit gives the key, for arbitrary (r, s)", () => {
    // The key is what recovering an arbitrary (r, s, bit) gives, so forged pairs are covered too.
    fc.assert(
      fc.property(
        scalar,
        fc.bigInt({ min: 1n, max: HALF_N }),
        fc.constantFrom<0 | 1>(0, 1),
        digestArb,
        (r, s, bit, digest) => {
          const key = recovered(digest, r, s, bit);
          if (key === null) {
            // r is no x-coordinate of the curve: no key can have made it with this bit.
            assert.equal(isSignatureOfKey(secp256k1.getPublicKey(hex32(r), false), digest, r, s, bit), false);
            return;
          }
          const keyBytes = hexToBytes(key);
          assert.ok(isSignatureOfKey(keyBytes, digest, r, s, bit));
          assert.equal(
            isSignatureOfKey(keyBytes, digest, r, s, bit === 0 ? 1 : 0),
            recovered(digest, r, s, bit === 0 ? 1 : 0) === key,
          );
        },
      ),
      { numRuns: 30 },
    );
  });

  it("refuses a signature whose R has x = r + n (recovery ids 2/3, never Ethereum's)", () => {
    // Find an x in [n, p) on the curve, then make the key for which (x mod n, s) signs the digest.
    let R: ReturnType<typeof Point.fromBytes> | undefined;
    for (let x = N + 1n; x < P && R === undefined; x++) {
      try {
        R = Point.fromBytes(Uint8Array.of(2, ...hex32(x)));
      } catch {
        // not on the curve; try the next x
      }
    }
    assert.ok(R !== undefined);
    const { x, y } = R.toAffine();
    const r = x - N;
    const s = 12345n;
    const digest = hexToBytes("11".repeat(32));
    const bit = Number(y & 1n);
    // Q = r^-1 (s·R - h·G): the key for which (r, s) is a valid ECDSA signature of the digest.
    const Fn = Point.Fn;
    const h = Fn.create(BigInt("0x" + bytesToHex(digest)));
    const Q = R.multiply(s).subtract(Point.BASE.multiply(h)).multiply(Fn.inv(r));
    const keyBytes = Q.toBytes(false);
    const compact = Uint8Array.of(...hex32(r), ...hex32(s));
    assert.ok(secp256k1.verify(compact, digest, keyBytes, { prehash: false }), "plain ECDSA accepts it");
    assert.notEqual(recovered(digest, r, s, bit), bytesToHex(keyBytes), "recovery id 0/1 gives another key");
    assert.equal(isSignatureOfKey(keyBytes, digest, r, s, bit as 0 | 1), false);
    assert.equal(isSignatureOfKey(keyBytes, digest, r, s, (1 - bit) as 0 | 1), false);
  });
});

describe("toRecoverable / checkRecoverable", () => {
  const secretKey = hexToBytes("46".repeat(32));
  const pub = secp256k1.getPublicKey(secretKey, false);
  const digest = hexToBytes("22".repeat(32));
  const { r, s, bit } = signed(secretKey, digest);
  const rs = (sv: bigint): Uint8Array => Uint8Array.of(...hex32(r), ...hex32(sv));
  const badSignature = (e: unknown): boolean =>
    e instanceof SignerError && e.code === "SIGNER_BAD_SIGNATURE" && e.status === 500;

  it("finds the bit, and normalises a high s with its bit flipped", () => {
    assert.deepEqual(toRecoverable(rs(s), digest, pub), { r, s, yParity: bit });
    assert.deepEqual(toRecoverable(rs(N - s), digest, pub), { r, s, yParity: bit });
    assert.deepEqual(checkRecoverable(rs(s), digest, pub, bit), { r, s, yParity: bit });
    assert.deepEqual(checkRecoverable(rs(N - s), digest, pub, bit === 0 ? 1 : 0), { r, s, yParity: bit });
  });

  it("refuses a wrong bit, key, digest or length with SIGNER_BAD_SIGNATURE (500)", () => {
    const other = secp256k1.getPublicKey(hexToBytes("47".repeat(32)), false);
    assert.throws(() => checkRecoverable(rs(s), digest, pub, bit === 0 ? 1 : 0), badSignature);
    assert.throws(() => toRecoverable(rs(s), digest, other), badSignature);
    assert.throws(() => toRecoverable(rs(s), hexToBytes("23".repeat(32)), pub), badSignature);
    assert.throws(() => toRecoverable(rs(s).subarray(1), digest, pub), badSignature);
    assert.throws(() => toRecoverable(new Uint8Array(64), digest, pub), badSignature);
  });
});
