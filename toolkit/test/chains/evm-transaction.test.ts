import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Transaction, Wallet, getAddress } from "ethers";
import { rlpDecode, rlpEncode, rlpUint, type RlpItem } from "../../src/chains/evm/rlp.js";
import { addressFromPrivateKey, checksumAddress, parseAddress } from "../../src/chains/evm/address.js";
import {
  decodeSignedTransaction,
  decodeUnsignedTransaction,
  encodeUnsignedTransaction,
  normaliseTransaction,
  signTransaction,
  transactionSigningHash,
} from "../../src/chains/evm/transaction.js";
import { toHex } from "../../src/chains/hex.js";
import { InvalidInputError } from "../../src/errors.js";
import { EVM_KEY, EVM_FROM, transferTx } from "./fixtures.js";

const rlpItem: fc.Arbitrary<RlpItem> = fc.letrec<{ item: RlpItem }>((tie) => ({
  item: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.uint8Array({ maxLength: 80 }),
    fc.array(tie("item"), { maxLength: 4 }),
  ),
})).item;

const uintString = (max: bigint, min = 0n) => fc.bigInt({ min, max }).map((n) => n.toString());

const txArb = fc
  .record({
    chainId: uintString(2n ** 64n - 1n, 1n),
    nonce: uintString(2n ** 64n - 2n),
    maxFeePerGas: fc.bigInt({ min: 0n, max: 2n ** 200n }),
    tipShare: fc.bigInt({ min: 0n, max: 1000n }),
    gasLimit: uintString(30_000_000n, 21_000n),
    to: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => toHex(b)),
    value: uintString(2n ** 256n - 1n),
    data: fc.uint8Array({ maxLength: 100 }).map((b) => toHex(b)),
  })
  .map(({ maxFeePerGas, tipShare, ...rest }) => ({
    ...rest,
    maxFeePerGas: maxFeePerGas.toString(),
    maxPriorityFeePerGas: ((maxFeePerGas * tipShare) / 1000n).toString(),
  }));

/** The same fields in the types ethers wants. */
function ethersLike(input: ReturnType<typeof transferTx>) {
  return {
    type: 2,
    chainId: BigInt(input.chainId),
    nonce: Number(input.nonce),
    maxPriorityFeePerGas: BigInt(input.maxPriorityFeePerGas),
    maxFeePerGas: BigInt(input.maxFeePerGas),
    gasLimit: BigInt(input.gasLimit),
    to: input.to,
    value: BigInt(input.value),
    data: input.data,
  };
}

function expectField(fn: () => unknown, field: string): void {
  assert.throws(fn, (err: unknown) => err instanceof InvalidInputError && err.field === field);
}

describe("RLP", () => {
  it("round-trips random nested items", () => {
    fc.assert(
      fc.property(rlpItem, (item) => {
        assert.deepEqual(rlpDecode(rlpEncode(item)), item);
      }),
      { numRuns: 300 },
    );
  });

  it("encodes the yellow-paper examples", () => {
    const enc = (i: RlpItem) => Buffer.from(rlpEncode(i)).toString("hex");
    assert.equal(enc(new TextEncoder().encode("dog")), "83646f67");
    assert.equal(
      enc([new TextEncoder().encode("cat"), new TextEncoder().encode("dog")]),
      "c88363617483646f67",
    );
    assert.equal(enc(new Uint8Array(0)), "80");
    assert.equal(enc([]), "c0");
    assert.equal(enc(Uint8Array.of(0x0f)), "0f");
    assert.equal(enc([[], [[]], [[], [[]]]]), "c7c0c1c0c3c0c1c0");
  });

  it("refuses non-canonical, truncated and trailing encodings", () => {
    expectField(() => rlpDecode(Uint8Array.of(0x81, 0x05)), "rlp");
    expectField(() => rlpDecode(Uint8Array.of(0xb8, 0x01, 0x05)), "rlp");
    expectField(() => rlpDecode(Uint8Array.of(0x83, 0x01)), "rlp");
    expectField(() => rlpDecode(Uint8Array.of(0x01, 0x02)), "rlp");
    expectField(() => rlpDecode(Uint8Array.of(0xc2, 0x83, 0x01)), "rlp");
  });
});

describe("addresses", () => {
  it("checksums like ethers for random addresses", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (b) => {
        assert.equal(checksumAddress(toHex(b)), getAddress(toHex(b)));
      }),
      { numRuns: 200 },
    );
  });

  it("derives the same address as an ethers wallet", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
        fc.pre(key.some((b) => b !== 0));
        assert.equal(addressFromPrivateKey(key), new Wallet(toHex(key)).address);
      }),
      { numRuns: 25 },
    );
    assert.equal(addressFromPrivateKey(1n), "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
  });

  it("reproduces the EIP-55 specification's examples", () => {
    // From the "Test Cases" section of EIP-55 (all caps, all lower, and mixed examples).
    for (const a of [
      "0x52908400098527886E0F7030069857D2E4169EE7",
      "0xde709f2102306220921060314715629080e2fb77",
      "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
      "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
      "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
      "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ]) {
      assert.equal(parseAddress("to", a).toLowerCase(), a.toLowerCase());
    }
    for (const a of [
      "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
      "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
      "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
      "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ]) {
      assert.equal(checksumAddress(a.toLowerCase()), a);
    }
  });

  it("refuses a wrong mixed-case checksum and malformed addresses, naming the field", () => {
    const good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    assert.equal(parseAddress("to", good.toLowerCase()), good);
    expectField(() => parseAddress("to", good.replace("aA", "Aa")), "to");
    expectField(() => parseAddress("to", "0x1234"), "to");
    expectField(() => parseAddress("to", `${good}00`), "to");
    expectField(() => parseAddress("to", 42), "to");
  });

  it("refuses keys of the wrong type or out of range", () => {
    expectField(() => addressFromPrivateKey(new Uint8Array(33).fill(1)), "privateKey");
    expectField(() => addressFromPrivateKey(new Uint8Array(32)), "privateKey");
    expectField(() => addressFromPrivateKey(0n), "privateKey");
    expectField(() => addressFromPrivateKey(2n ** 256n - 1n), "privateKey");
    expectField(() => addressFromPrivateKey("0x01" as never), "privateKey");
  });
});

describe("EIP-1559 transactions", () => {
  it("signs random transactions that ethers recovers to the right sender with the same hash", () => {
    fc.assert(
      // ethers keeps nonces in JS numbers, so this cross-check stays below 2^53.
      fc.property(txArb, fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (input, nonce) => {
        const tx = normaliseTransaction({ ...input, nonce });
        const signed = signTransaction(tx, EVM_KEY);
        const parsed = Transaction.from(signed.raw);
        assert.equal(parsed.from, EVM_FROM);
        assert.equal(parsed.hash, signed.hash);
        assert.equal(parsed.unsignedHash, toHex(transactionSigningHash(tx)));
        assert.equal(parsed.unsignedSerialized, toHex(encodeUnsignedTransaction(tx)));
        assert.equal(parsed.chainId, tx.chainId);
        assert.equal(parsed.to, tx.to);
        assert.equal(parsed.value, tx.value);
        assert.equal(parsed.data, tx.data);
        assert.ok(parsed.signature !== null && BigInt(parsed.signature.s) <= 2n ** 255n);
      }),
      { numRuns: 60 },
    );
  });

  it("round-trips unsigned and signed encodings", () => {
    fc.assert(
      fc.property(txArb, (input) => {
        const tx = normaliseTransaction(input);
        assert.deepEqual(decodeUnsignedTransaction(encodeUnsignedTransaction(tx)), tx);
        const signed = signTransaction(tx, EVM_KEY);
        const back = decodeSignedTransaction(signed.raw);
        assert.deepEqual(back.tx, tx);
        assert.equal(back.from, EVM_FROM);
        assert.equal(back.hash, signed.hash);
      }),
      { numRuns: 40 },
    );
  });

  it("encodes exactly what ethers encodes for the same fields", () => {
    const input = transferTx({ data: "0xa9059cbb" });
    const ours = toHex(encodeUnsignedTransaction(normaliseTransaction(input)));
    const theirs = Transaction.from(ethersLike(input)).unsignedSerialized;
    assert.equal(ours, theirs);
  });

  it("refuses every invalid field, naming it", () => {
    expectField(() => normaliseTransaction(transferTx({ chainId: "0" })), "chainId");
    expectField(() => normaliseTransaction(transferTx({ chainId: (2n ** 64n).toString() })), "chainId");
    expectField(() => normaliseTransaction(transferTx({ nonce: "-1" })), "nonce");
    expectField(() => normaliseTransaction(transferTx({ nonce: (2n ** 64n - 1n).toString() })), "nonce");
    expectField(() => normaliseTransaction(transferTx({ nonce: "0x05" })), "nonce");
    expectField(() => normaliseTransaction(transferTx({ gasLimit: "20999" })), "gasLimit");
    assert.equal(normaliseTransaction(transferTx({ gasLimit: "21000" })).gasLimit, 21000n);
    expectField(
      () => normaliseTransaction(transferTx({ maxFeePerGas: "10", maxPriorityFeePerGas: "11" })),
      "maxPriorityFeePerGas",
    );
    assert.equal(
      normaliseTransaction(transferTx({ maxFeePerGas: "10", maxPriorityFeePerGas: "10" })).maxFeePerGas,
      10n,
    );
    expectField(
      () => normaliseTransaction(transferTx({ to: "0x6b175474e89094c44da98b954eedeac495271D0F" })),
      "to",
    );
    expectField(() => normaliseTransaction(transferTx({ to: "0x00" })), "to");
    expectField(() => normaliseTransaction(transferTx({ value: "-5" })), "value");
    expectField(() => normaliseTransaction(transferTx({ value: (2n ** 256n).toString() })), "value");
    expectField(() => normaliseTransaction(transferTx({ value: "1e18" })), "value");
    expectField(() => normaliseTransaction(transferTx({ data: "0xabc" })), "data");
    expectField(() => normaliseTransaction(transferTx({ data: "abcd" })), "data");
  });

  it("refuses contract creation, access lists and legacy transactions when decoding", () => {
    const tx = normaliseTransaction(transferTx());
    const creation = Transaction.from({ ...ethersLike(transferTx()), to: null }).unsignedSerialized;
    expectField(() => decodeUnsignedTransaction(Buffer.from(creation.slice(2), "hex")), "to");
    const withList = Transaction.from({
      ...ethersLike(transferTx()),
      accessList: [{ address: tx.to, storageKeys: [] }],
    }).unsignedSerialized;
    expectField(() => decodeUnsignedTransaction(Buffer.from(withList.slice(2), "hex")), "accessList");
    const legacy = Transaction.from({
      type: 0,
      to: tx.to,
      nonce: 1,
      gasLimit: 21000,
      gasPrice: 1,
      chainId: 1,
    });
    expectField(
      () => decodeUnsignedTransaction(Buffer.from(legacy.unsignedSerialized.slice(2), "hex")),
      "unsigned",
    );
  });

  it("refuses a high-s signature when decoding", () => {
    const signed = signTransaction(normaliseTransaction(transferTx()), EVM_KEY);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const fields = rlpDecode(Buffer.from(signed.raw.slice(4), "hex")) as RlpItem[];
    const flipped = [
      ...fields.slice(0, 9),
      rlpUint(BigInt(1 - signed.yParity)),
      rlpUint(signed.r),
      rlpUint(n - signed.s),
    ];
    const highS = toHex(Uint8Array.from([2, ...rlpEncode(flipped)]));
    assert.equal(Transaction.from(signed.raw).from, EVM_FROM);
    expectField(() => decodeSignedTransaction(highS), "s");
  });
});
