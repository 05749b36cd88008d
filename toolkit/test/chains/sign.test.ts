import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Transaction } from "ethers";
import { ed25519, ed25519_FROST } from "@noble/curves/ed25519.js";
import { verifySignature } from "@taquito/utils";
import {
  buildEvmRequest,
  buildTezosRequest,
  decodeRequest,
  type ColdRequest,
} from "../../src/chains/request.js";
import { confirm } from "../../src/chains/display.js";
import { signEvmRequest } from "../../src/chains/evm/sign.js";
import { attachSignature, prepareTezosSigning } from "../../src/chains/tezos/sign.js";
import { encodeCall } from "../../src/chains/evm/abi.js";
import { bytesToBigint, toHex } from "../../src/chains/hex.js";
import { tz1FromPublicKey, encodePublicKey, encodeSignature } from "../../src/chains/tezos/base58.js";
import { tezosAddress, tezosPublicKey, tezosSignature } from "../../src/crypto/index.js";
import { InvalidInputError, RefusedError } from "../../src/errors.js";
import type { BurnRegistry } from "../../src/chains/burn-registry.js";
import {
  EVM_FROM,
  EVM_KEY,
  EVM_SUCCESSOR,
  KT1,
  MAINNET,
  OTHER_EVM_KEY,
  STRANGER,
  TEZOS_EDPK,
  TEZOS_PK,
  TEZOS_SEED,
  TEZOS_SOURCE,
  TEZOS_STRANGER,
  TEZOS_SUCCESSOR,
  TOKEN,
  freshRegistry,
  revealed,
  transferOperation,
  transferTx,
  withdrawOperation,
} from "./fixtures.js";

const refused = (code: string) => (e: unknown) => e instanceof RefusedError && e.code === code;

async function signEvm(request: ColdRequest, registry: BurnRegistry, key: Uint8Array | bigint = EVM_KEY) {
  const decoded = await decodeRequest(request);
  const confirmation = await confirm(decoded, { expectedDigest: request.digest });
  return signEvmRequest(request, key, { registry, confirmation });
}

function evmRegistry(): BurnRegistry {
  const registry = freshRegistry();
  registry.registerKey({ keyId: EVM_FROM, successor: EVM_SUCCESSOR });
  return registry;
}

describe("EVM cold signing", () => {
  it("signs a confirmed request that ethers recovers to the cold address, and burns the key first", async () => {
    const registry = evmRegistry();
    const request = buildEvmRequest({
      tx: transferTx({ data: encodeCall("transfer", { to: STRANGER, amount: "10" }) }),
      from: EVM_FROM,
    });
    const keyBefore = EVM_KEY.slice();
    const { signed, result } = await signEvm(request, registry);
    const parsed = Transaction.from(signed.raw);
    assert.deepEqual(JSON.parse(JSON.stringify(result)), {
      kind: "evm-signed-transaction",
      digest: request.digest,
      from: EVM_FROM,
      raw: signed.raw,
      hash: parsed.hash,
    });
    assert.equal(parsed.from, EVM_FROM);
    assert.equal(parsed.hash, signed.hash);
    assert.equal(parsed.unsignedHash, request.digest);
    assert.deepEqual(EVM_KEY, keyBefore, "the caller's key array is not modified");
    assert.ok(registry.isBurned(EVM_FROM));
    assert.match(readFileSync(registry.path, "utf8"), new RegExp(request.digest));
  });

  it("accepts the key as a bigint scalar", async () => {
    const registry = evmRegistry();
    const request = buildEvmRequest({
      tx: transferTx({ to: STRANGER, value: "1", gasLimit: "21000" }),
      from: EVM_FROM,
    });
    const { signed } = await signEvm(request, registry, bytesToBigint(EVM_KEY));
    assert.equal(Transaction.from(signed.raw).from, EVM_FROM);
  });

  it("refuses a key that does not control `from` without burning anything", async () => {
    const registry = evmRegistry();
    const request = buildEvmRequest({ tx: transferTx(), from: EVM_FROM });
    await assert.rejects(signEvm(request, registry, OTHER_EVM_KEY), refused("KEY_MISMATCH"));
    await assert.rejects(
      signEvm(request, registry, new Uint8Array(31).fill(1)),
      (e: unknown) => e instanceof InvalidInputError && e.field === "privateKey",
    );
    assert.equal(registry.isBurned(EVM_FROM), false);
  });

  it("refuses without a confirmation for this digest", async () => {
    const registry = evmRegistry();
    const request = buildEvmRequest({ tx: transferTx(), from: EVM_FROM });
    const other = buildEvmRequest({ tx: transferTx({ value: "1" }), from: EVM_FROM });
    const confirmation = await confirm(await decodeRequest(other), { expectedDigest: other.digest });
    await assert.rejects(
      signEvmRequest(request, EVM_KEY, { registry, confirmation }),
      refused("DIGEST_MISMATCH"),
    );
    await assert.rejects(
      signEvmRequest(request, EVM_KEY, {
        registry,
        confirmation: { digest: request.digest, mode: "expected-digest" },
      }),
      refused("NOT_CONFIRMED"),
    );
    assert.equal(registry.isBurned(EVM_FROM), false);
  });

  it("refuses a second use of the key but signs the sweep to the successor", async () => {
    const registry = evmRegistry();
    await signEvm(
      buildEvmRequest({ tx: transferTx({ to: STRANGER, value: "1", gasLimit: "21000" }), from: EVM_FROM }),
      registry,
    );
    const again = buildEvmRequest({
      tx: transferTx({ nonce: "1", to: STRANGER, value: "1", gasLimit: "21000" }),
      from: EVM_FROM,
    });
    await assert.rejects(signEvm(again, registry), refused("KEY_BURNED"));
    const elsewhere = buildEvmRequest({
      tx: transferTx({ nonce: "1", data: encodeCall("transfer", { to: STRANGER, amount: "5" }) }),
      from: EVM_FROM,
    });
    await assert.rejects(signEvm(elsewhere, registry), refused("KEY_BURNED"));
    const sweep = buildEvmRequest({
      tx: transferTx({
        nonce: "1",
        to: TOKEN,
        data: encodeCall("transfer", { to: EVM_SUCCESSOR, amount: "5" }),
      }),
      from: EVM_FROM,
    });
    const { signed } = await signEvm(sweep, registry);
    assert.equal(Transaction.from(signed.raw).from, EVM_FROM);
  });

  it("refuses a Tezos request", async () => {
    const registry = evmRegistry();
    const request = await buildTezosRequest({ operation: withdrawOperation(), chainId: MAINNET });
    const confirmation = await confirm(await decodeRequest(request), { expectedDigest: request.digest });
    await assert.rejects(
      signEvmRequest(request, EVM_KEY, { registry, confirmation }),
      (e: unknown) => e instanceof InvalidInputError && e.field === "kind",
    );
  });
});

function tezosRegistry(): BurnRegistry {
  const registry = freshRegistry();
  registry.registerKey({ keyId: TEZOS_SOURCE, successor: TEZOS_SUCCESSOR, contracts: [KT1] });
  return registry;
}

async function prepare(
  request: ColdRequest,
  registry: BurnRegistry,
  publicKey: string | Uint8Array = TEZOS_EDPK,
) {
  const confirmation = await confirm(await decodeRequest(request), { expectedDigest: request.digest });
  return prepareTezosSigning(request, publicKey, { registry, confirmation });
}

describe("Tezos cold signing", () => {
  it("hands the watermarked hash to a plain key and attaches a signature Taquito verifies", async () => {
    const registry = tezosRegistry();
    const request = await buildTezosRequest({ operation: revealed(withdrawOperation()), chainId: MAINNET });
    const payload = await prepare(request, registry);
    assert.equal(toHex(payload.message), request.digest);
    assert.ok(registry.isBurned(TEZOS_SOURCE), "recorded before any signature exists");
    const signed = attachSignature(
      payload.forged,
      ed25519.sign(payload.message, TEZOS_SEED),
      payload.publicKey,
    );
    assert.ok(verifySignature(request.unsigned.slice(2), TEZOS_EDPK, signed.signature, Uint8Array.of(3)));
    assert.equal(signed.signedBytes.slice(0, request.unsigned.length - 2), request.unsigned.slice(2));
  });

  it("works with a 2-of-3 FROST signature over the same message", async () => {
    const ids = ["alice", "bob", "carol"].map((n) => ed25519_FROST.Identifier.derive(n));
    const deal = ed25519_FROST.trustedDealer({ min: 2, max: 3 }, ids);
    const groupKey = deal.public.commitments[0]!;
    const source = tz1FromPublicKey(groupKey);
    const registry = freshRegistry();
    registry.registerKey({ keyId: source, successor: TEZOS_SUCCESSOR });
    const operation = revealed(withdrawOperation());
    const contents: Record<string, unknown>[] = (
      operation as { contents: Record<string, unknown>[] }
    ).contents.map((c) => ({ ...c, source }));
    contents[0]!.publicKey = encodePublicKey(groupKey);
    const request = await buildTezosRequest({
      operation: { branch: withdrawOperation().branch, contents } as never,
      chainId: MAINNET,
    });
    const payload = await prepare(request, registry, groupKey);
    const signers = [ids[0]!, ids[2]!];
    const rounds = signers.map((id) => ed25519_FROST.commit(deal.secretShares[id]!));
    const commitments = rounds.map((r) => r.commitments);
    const shares = Object.fromEntries(
      signers.map((id, i) => [
        id,
        ed25519_FROST.signShare(
          deal.secretShares[id]!,
          deal.public,
          rounds[i]!.nonces,
          commitments,
          payload.message,
        ),
      ]),
    );
    const sig = ed25519_FROST.aggregate(deal.public, commitments, payload.message, shares);
    const signed = attachSignature(payload.forged, sig, groupKey);
    assert.ok(
      verifySignature(
        request.unsigned.slice(2),
        encodePublicKey(groupKey),
        signed.signature,
        Uint8Array.of(3),
      ),
    );
  });

  it("refuses a key whose tz1 is not the source, or that is not Ed25519, without burning", async () => {
    const registry = tezosRegistry();
    const request = await buildTezosRequest({ operation: revealed(withdrawOperation()), chainId: MAINNET });
    const other = encodePublicKey(ed25519.getPublicKey(new Uint8Array(32).fill(8)));
    await assert.rejects(prepare(request, registry, other), refused("KEY_MISMATCH"));
    await assert.rejects(
      prepare(request, registry, "sppk7a2WEfU54WQ4btaLqVYjDi2CaW8CNnb5fXpWwE2ErpNSu8zX3Y7"),
      (e: unknown) => e instanceof InvalidInputError && e.field === "publicKey",
    );
    await assert.rejects(
      prepare(request, registry, new Uint8Array(33)),
      (e: unknown) => e instanceof InvalidInputError && e.field === "publicKey",
    );
    assert.equal(registry.isBurned(TEZOS_SOURCE), false);
  });

  it("refuses a second use but prepares the sweep transfer to the successor", async () => {
    const registry = tezosRegistry();
    await prepare(
      await buildTezosRequest({ operation: revealed(withdrawOperation()), chainId: MAINNET }),
      registry,
    );
    const away = await buildTezosRequest({ operation: transferOperation(TEZOS_STRANGER), chainId: MAINNET });
    await assert.rejects(prepare(away, registry), refused("KEY_BURNED"));
    const sweep = await buildTezosRequest({
      operation: transferOperation(TEZOS_SUCCESSOR),
      chainId: MAINNET,
    });
    const payload = await prepare(sweep, registry);
    const signed = attachSignature(payload.forged, ed25519.sign(payload.message, TEZOS_SEED), TEZOS_EDPK);
    assert.ok(verifySignature(sweep.unsigned.slice(2), TEZOS_EDPK, signed.signature, Uint8Array.of(3)));
  });

  it("agrees with the crypto module's Tezos encodings", () => {
    const sig = ed25519.sign(Uint8Array.of(1), TEZOS_SEED);
    assert.equal(tezosAddress(TEZOS_PK), TEZOS_SOURCE);
    assert.equal(tezosPublicKey(TEZOS_PK), TEZOS_EDPK);
    assert.equal(tezosSignature(sig), encodeSignature(sig));
  });
});
