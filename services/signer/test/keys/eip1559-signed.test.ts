/**
 * The signer builds its signed transactions, and the worker checks the signer's answers, from the
 * unsigned bytes plus `(yParity, r, s)` (decision 1043): the bytes must be exactly what ethers
 * serialises for the same transaction and signature, for short and long lists alike, and an
 * answer that differs anywhere outside the signature must not pass for a signature of the asked
 * transaction.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Signature, Transaction, getBytes, hexlify } from "ethers";
import { signatureOfSigned, signedEip1559 } from "../../src/keys/eip1559-signed.js";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = N >> 1n;
const hex32 = (v: bigint): string => "0x" + v.toString(16).padStart(64, "0");

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => hexlify(b));
const u256 = fc.bigInt({ min: 0n, max: (1n << 256n) - 1n });
const txArb = fc.record({
  chainId: fc.oneof(fc.constant(1n), fc.constant(31337n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
  nonce: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  maxPriorityFeePerGas: fc.bigInt({ min: 0n, max: 10n ** 12n }),
  extraFee: fc.bigInt({ min: 0n, max: 10n ** 20n }),
  gasLimit: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  to: fc.option(address, { nil: null }),
  value: u256,
  // Up to 300 bytes: lists under 56 bytes, and with one- and two-byte length prefixes.
  data: fc.uint8Array({ maxLength: 300 }).map((b) => hexlify(b)),
  accessList: fc.array(
    fc.record({
      address,
      storageKeys: fc.array(
        fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b)),
        { maxLength: 3 },
      ),
    }),
    { maxLength: 2 },
  ),
});
const sigArb = fc.record({
  r: fc.oneof(fc.bigInt({ min: 1n, max: N - 1n }), fc.bigInt({ min: 1n, max: 300n })),
  s: fc.oneof(fc.bigInt({ min: 1n, max: HALF_N }), fc.bigInt({ min: 1n, max: 300n })),
  yParity: fc.constantFrom<0 | 1>(0, 1),
});

function ethersPair(
  t: typeof txArb extends fc.Arbitrary<infer T> ? T : never,
  sig: { r: bigint; s: bigint; yParity: 0 | 1 },
): { unsigned: Uint8Array; signed: Uint8Array } {
  const tx = Transaction.from({
    type: 2,
    chainId: t.chainId,
    nonce: t.nonce,
    maxPriorityFeePerGas: t.maxPriorityFeePerGas,
    maxFeePerGas: t.maxPriorityFeePerGas + t.extraFee,
    gasLimit: t.gasLimit,
    to: t.to,
    value: t.value,
    data: t.data,
    accessList: t.accessList,
  });
  const unsigned = getBytes(tx.unsignedSerialized);
  tx.signature = Signature.from({ r: hex32(sig.r), s: hex32(sig.s), yParity: sig.yParity });
  return { unsigned, signed: getBytes(tx.serialized) };
}

describe("signedEip1559", () => {
  it("gives ethers' bytes for random transactions and signatures", () => {
    fc.assert(
      fc.property(txArb, sigArb, (t, sig) => {
        const { unsigned, signed } = ethersPair(t, sig);
        assert.equal(hexlify(signedEip1559(unsigned, sig.yParity, sig.r, sig.s)), hexlify(signed));
        assert.deepEqual(signatureOfSigned(unsigned, signed), { ...sig });
      }),
      { numRuns: 400 },
    );
  });

  it("refuses bytes that are not one whole type-2 list, and r or s out of range", () => {
    const { unsigned } = ethersPair(
      {
        chainId: 1n,
        nonce: 1,
        maxPriorityFeePerGas: 1n,
        extraFee: 1n,
        gasLimit: 21000n,
        to: null,
        value: 0n,
        data: "0x",
        accessList: [],
      },
      { r: 1n, s: 1n, yParity: 0 },
    );
    assert.throws(
      () => signedEip1559(Uint8Array.of(0x01, ...unsigned.subarray(1)), 0, 1n, 1n),
      /not the serialisation/,
    );
    assert.throws(() => signedEip1559(Uint8Array.of(...unsigned, 0), 0, 1n, 1n), /not the serialisation/);
    assert.throws(() => signedEip1559(unsigned.subarray(0, -1), 0, 1n, 1n), /not the serialisation/);
    assert.throws(() => signedEip1559(unsigned, 0, 0n, 1n), /out of range/);
    assert.throws(() => signedEip1559(unsigned, 0, 1n, N), /out of range/);
    assert.throws(() => signedEip1559(unsigned, 2 as 0, 1n, 1n), /yParity/);
  });
});

describe("signatureOfSigned", () => {
  it("finds no signature of the asked transaction in an answer changed outside the signature", () => {
    fc.assert(
      fc.property(txArb, sigArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (t, sig, where, flip) => {
        const { unsigned, signed } = ethersPair(t, sig);
        const tampered = Uint8Array.from(signed);
        const at = where % tampered.length;
        tampered[at] = tampered[at]! ^ flip;
        const found = signatureOfSigned(unsigned, tampered);
        // A change inside r or s may read as another signature (which the key check then
        // refuses); anywhere else, or as a non-canonical encoding, nothing is found.
        if (found !== undefined) {
          assert.notDeepEqual(found, { ...sig });
          assert.equal(hexlify(signedEip1559(unsigned, found.yParity, found.r, found.s)), hexlify(tampered));
          const itemLength = (v: bigint): number =>
            v < 0x80n ? 1 : 1 + Math.ceil(v.toString(16).length / 2);
          const signatureStart = signed.length - 1 - itemLength(sig.r) - itemLength(sig.s);
          assert.ok(at >= signatureStart, `changed byte ${at} lies in the header or fields`);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("refuses trailing bytes, a missing item, non-canonical parity or scalars, and another transaction", () => {
    const t = {
      chainId: 31337n,
      nonce: 7,
      maxPriorityFeePerGas: 2n,
      extraFee: 5n,
      gasLimit: 300000n,
      to: "0x" + "11".repeat(20),
      value: 0n,
      data: "0x" + "ab".repeat(100),
      accessList: [],
    };
    const sig = { r: 5n, s: 0x1234n, yParity: 1 as const };
    const { unsigned, signed } = ethersPair(t, sig);
    const other = ethersPair({ ...t, nonce: 8 }, sig);
    assert.deepEqual(signatureOfSigned(unsigned, signed), { ...sig });
    assert.equal(signatureOfSigned(unsigned, Uint8Array.of(...signed, 0)), undefined, "trailing byte");
    assert.equal(signatureOfSigned(unsigned, signed.subarray(0, -3)), undefined, "s missing");
    assert.equal(signatureOfSigned(other.unsigned, signed), undefined, "another nonce asked");
    assert.equal(signatureOfSigned(unsigned, other.signed), undefined, "another nonce answered");
    // r = 5 must be the single byte 0x05; the string form 0x81 0x05 is not canonical.
    const body = signed.subarray(3);
    const loose = Uint8Array.of(
      0x02,
      0xf8,
      signed[2]! + 1,
      ...body.subarray(0, -4),
      0x81,
      0x05,
      ...body.subarray(-3),
    );
    assert.equal(signatureOfSigned(unsigned, loose), undefined, "r with a string prefix");
    const zeroParity = Uint8Array.from(signed);
    assert.equal(signatureOfSigned(unsigned, zeroParity.fill(0x00, -5, -4)), undefined, "parity 0 as 0x00");
  });
});
