import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ed25519 } from "@noble/curves/ed25519.js";
import { blake2b } from "@noble/hashes/blake2.js";
import { LocalForger } from "@taquito/local-forging";
import { InMemorySigner } from "@taquito/signer";
import {
  PrefixV2,
  b58Encode,
  encodeKey,
  encodeKeyHash,
  encodeOpHash,
  getPkhfromPk,
  validateAddress,
  ValidationResult,
  verifySignature,
} from "@taquito/utils";
import {
  b58cEncode,
  encodePublicKey,
  encodeSignature,
  operationHash,
  parsePublicKey,
  parseTezosAddress,
  parseTz1,
  tz1FromPublicKey,
} from "../../src/chains/tezos/base58.js";
import {
  forgeOperation,
  normaliseOperation,
  operationSigningHash,
  parseForgedOperation,
  signingBytes,
} from "../../src/chains/tezos/operation.js";
import { attachSignature } from "../../src/chains/tezos/sign.js";
import { toHex } from "../../src/chains/hex.js";
import { IntegrityError, InvalidInputError } from "../../src/errors.js";
import {
  BRANCH,
  KT1,
  TEZOS_EDPK,
  TEZOS_PK,
  TEZOS_SEED,
  TEZOS_SOURCE,
  TEZOS_SUCCESSOR,
  transferOperation,
  withdrawOperation,
} from "./fixtures.js";

const field = (fn: () => unknown, f: string) =>
  assert.throws(fn, (e: unknown) => e instanceof InvalidInputError && e.field === f, `expected field ${f}`);
const rejectsField = (p: Promise<unknown>, f: string) =>
  assert.rejects(p, (e: unknown) => e instanceof InvalidInputError && e.field === f, `expected field ${f}`);

describe("Tezos base58check", () => {
  it("derives tz1, edpk, edsig and operation hashes as @taquito/utils does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const pk = ed25519.getPublicKey(seed);
        const edpk = encodePublicKey(pk);
        assert.equal(edpk, b58Encode(pk, PrefixV2.Ed25519PublicKey));
        assert.equal(tz1FromPublicKey(pk), getPkhfromPk(edpk));
        assert.equal(
          tz1FromPublicKey(pk),
          b58Encode(blake2b(pk, { dkLen: 20 }), PrefixV2.Ed25519PublicKeyHash),
        );
        assert.equal(validateAddress(tz1FromPublicKey(pk)), ValidationResult.VALID);
        // encodeKeyHash takes the binary key hash with its curve tag (00 = Ed25519).
        assert.equal(tz1FromPublicKey(pk), encodeKeyHash(`00${toHex(blake2b(pk, { dkLen: 20 })).slice(2)}`));
        assert.equal(encodeKey(`00${toHex(pk).slice(2)}`), edpk);
        const sig = ed25519.sign(seed, seed);
        assert.equal(encodeSignature(sig), b58Encode(sig, PrefixV2.Ed25519Signature));
        assert.equal(operationHash(seed), encodeOpHash(toHex(seed).slice(2)));
        assert.deepEqual(parsePublicKey("pk", edpk), pk);
      }),
      { numRuns: 40 },
    );
    assert.equal(
      b58cEncode("B", new Uint8Array(32).fill(1)),
      b58Encode(new Uint8Array(32).fill(1), PrefixV2.BlockHash),
    );
  });

  it("refuses addresses with a bad checksum or of the wrong kind, naming the field", () => {
    const tz1 = TEZOS_SOURCE;
    const broken = tz1.slice(0, -1) + (tz1.endsWith("a") ? "b" : "a");
    field(() => parseTz1("successor", broken), "successor");
    field(() => parseTz1("successor", KT1), "successor");
    field(() => parseTezosAddress("destination", "tz1"), "destination");
    field(
      () => parseTezosAddress("destination", "0x000000000000000000000000000000000000dEaD"),
      "destination",
    );
    field(
      () => parsePublicKey("publicKey", "sppk7a2WEfU54WQ4btaLqVYjDi2CaW8CNnb5fXpWwE2ErpNSu8zX3Y7"),
      "publicKey",
    );
    field(() => parsePublicKey("publicKey", TEZOS_EDPK.slice(0, -2)), "publicKey");
    assert.equal(parseTezosAddress("destination", KT1), KT1);
  });
});

const mutez = fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String);

describe("Tezos operations", () => {
  it("forges withdraw, transfer and reveal batches that Taquito parses back identically", async () => {
    await fc.assert(
      fc.asyncProperty(
        mutez,
        mutez,
        mutez,
        fc.bigInt({ min: 1n, max: 2n ** 40n }),
        async (amount, fee, w, counter) => {
          const op = normaliseOperation({
            branch: BRANCH,
            contents: [
              {
                kind: "reveal",
                source: TEZOS_SOURCE,
                fee,
                counter: counter.toString(),
                gasLimit: "1000",
                storageLimit: "0",
                publicKey: TEZOS_EDPK,
              },
              { ...withdrawOperation(w).contents[0]!, counter: (counter + 1n).toString() },
              {
                ...transferOperation(TEZOS_SUCCESSOR, amount).contents[0]!,
                counter: (counter + 2n).toString(),
              },
            ],
          });
          const forged = await forgeOperation(op);
          assert.deepEqual(await parseForgedOperation(forged), op);
          const parsed = await new LocalForger().parse(toHex(forged).slice(2));
          const contents = parsed.contents as unknown as Record<string, unknown>[];
          assert.equal(contents[0]?.public_key, TEZOS_EDPK);
          assert.deepEqual(contents[1]?.parameters, { entrypoint: "withdraw", value: { int: w } });
          assert.equal(contents[2]?.amount, amount);
          assert.equal(contents[2]?.destination, TEZOS_SUCCESSOR);
          assert.equal(parsed.branch, BRANCH);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("refuses trailing bytes and other operation kinds", async () => {
    const forged = await forgeOperation(normaliseOperation(transferOperation()));
    await assert.rejects(
      parseForgedOperation(Uint8Array.from([...forged, 0])),
      (e: unknown) => e instanceof IntegrityError || e instanceof InvalidInputError,
    );
    const delegation = await new LocalForger().forge({
      branch: BRANCH,
      contents: [
        {
          kind: "delegation",
          source: TEZOS_SOURCE,
          fee: "1",
          counter: "1",
          gas_limit: "1",
          storage_limit: "0",
          delegate: TEZOS_SUCCESSOR,
        },
      ] as never,
    });
    await rejectsField(parseForgedOperation(Buffer.from(delegation, "hex")), "contents[0].kind");
    await rejectsField(parseForgedOperation(Uint8Array.of(1, 2, 3)), "unsigned");
  });

  it("signs the watermarked hash so that Taquito verifies it and agrees with its own signer", async () => {
    const forged = await forgeOperation(normaliseOperation(withdrawOperation()));
    const sig = ed25519.sign(operationSigningHash(forged), TEZOS_SEED);
    const signed = attachSignature(forged, sig, TEZOS_EDPK);
    assert.ok(verifySignature(toHex(forged).slice(2), TEZOS_EDPK, signed.signature, Uint8Array.of(3)));
    assert.ok(verifySignature(toHex(signingBytes(forged)).slice(2), TEZOS_EDPK, signed.signature));
    const taquito = new InMemorySigner(b58Encode(TEZOS_SEED, PrefixV2.Ed25519Seed));
    assert.equal(await taquito.publicKey(), TEZOS_EDPK);
    const theirs = await taquito.sign(toHex(forged).slice(2), Uint8Array.of(3));
    assert.equal(theirs.prefixSig, signed.signature);
    assert.equal(theirs.sbytes, signed.signedBytes);
    assert.equal(signed.hash, encodeOpHash(signed.signedBytes));
    assert.deepEqual(TEZOS_PK, parsePublicKey("pk", TEZOS_EDPK));
  });

  it("refuses a signature that does not verify or has the wrong size", async () => {
    const forged = await forgeOperation(normaliseOperation(withdrawOperation()));
    const sig = ed25519.sign(operationSigningHash(forged), TEZOS_SEED);
    const bad = sig.slice();
    bad[10] = (bad[10] ?? 0) ^ 1;
    assert.throws(() => attachSignature(forged, bad, TEZOS_EDPK), IntegrityError);
    const other = ed25519.sign(operationSigningHash(Uint8Array.from([...forged].reverse())), TEZOS_SEED);
    assert.throws(() => attachSignature(forged, other, TEZOS_EDPK), IntegrityError);
    field(() => attachSignature(forged, sig.subarray(0, 63), TEZOS_EDPK), "signature");
    field(
      () => attachSignature(forged, sig, "sppk7a2WEfU54WQ4btaLqVYjDi2CaW8CNnb5fXpWwE2ErpNSu8zX3Y7"),
      "publicKey",
    );
  });

  it("refuses invalid fields, naming them", () => {
    const w = withdrawOperation();
    const c0 = w.contents[0]!;
    field(() => normaliseOperation({ ...w, branch: "Bxyz" }), "branch");
    field(() => normaliseOperation({ ...w, contents: [{ ...c0, fee: "-1" }] }), "contents[0].fee");
    field(
      () => normaliseOperation({ ...w, contents: [{ ...c0, amount: (2n ** 63n).toString() }] }),
      "contents[0].amount",
    );
    field(
      () => normaliseOperation({ ...w, contents: [{ ...c0, gasLimit: "1040001" }] }),
      "contents[0].gasLimit",
    );
    assert.equal(
      normaliseOperation({ ...w, contents: [{ ...c0, gasLimit: "1040000" }] }).contents[0]?.gasLimit,
      1040000n,
    );
    field(
      () => normaliseOperation({ ...w, contents: [{ ...c0, storageLimit: "60001" }] }),
      "contents[0].storageLimit",
    );
    field(
      () =>
        normaliseOperation({
          ...w,
          contents: [{ ...c0, destination: "KT1PWx2mnDueood7fEmfbBDKx1D9BAnnXitm" }],
        }),
      "contents[0].destination",
    );
    field(() => normaliseOperation({ ...w, contents: [{ ...c0, source: KT1 }] }), "contents[0].source");
    field(
      () =>
        normaliseOperation({
          ...w,
          contents: [{ ...c0, parameters: { entrypoint: "", value: { int: "1" } } }],
        }),
      "contents[0].parameters.entrypoint",
    );
    field(
      () =>
        normaliseOperation({
          ...w,
          contents: [{ ...c0, parameters: { entrypoint: "withdraw", value: { int: "1.5" } } }],
        }),
      "contents[0].parameters.value",
    );
    field(
      () => normaliseOperation({ ...w, contents: [c0, { ...c0, counter: "44" }] }),
      "contents[1].counter",
    );
    field(
      () =>
        normaliseOperation({
          ...w,
          contents: [
            {
              kind: "reveal",
              source: TEZOS_SOURCE,
              fee: "1",
              counter: "1",
              gasLimit: "1",
              storageLimit: "0",
              publicKey: encodePublicKey(ed25519.getPublicKey(new Uint8Array(32).fill(2))),
            },
          ],
        }),
      "contents[0].publicKey",
    );
    field(() => normaliseOperation({ ...w, contents: [] }), "contents");
  });
});
