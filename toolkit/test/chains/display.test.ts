import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Interface } from "ethers";
import { buildEvmRequest, buildTezosRequest, decodeRequest } from "../../src/chains/request.js";
import {
  assertConfirmed,
  confirm,
  renderRequest,
  worstCaseFee,
  type Confirmation,
} from "../../src/chains/display.js";
import { encodeCall } from "../../src/chains/evm/abi.js";
import { InvalidInputError, RefusedError } from "../../src/errors.js";
import {
  EVM_FROM,
  EVM_SUCCESSOR,
  KT1,
  MAINNET,
  PROXY,
  STRANGER,
  TOKEN,
  transferTx,
  withdrawOperation,
} from "./fixtures.js";

const refused = (code: string) => (e: unknown) => e instanceof RefusedError && e.code === code;

async function tokenTransfer() {
  return decodeRequest(
    buildEvmRequest({
      tx: transferTx({ data: encodeCall("transfer", { to: EVM_SUCCESSOR, amount: "1500000000000000000" }) }),
      from: EVM_FROM,
      chainName: "mainnet",
      hints: { tokens: { [TOKEN]: { symbol: "DAI", decimals: 18 } } },
    }),
  );
}

describe("trusted display", () => {
  it("shows chain, from, to, the decoded call, amounts with units, fees, nonce and digest for EVM", async () => {
    const decoded = await tokenTransfer();
    const text = renderRequest(decoded).join("\n");
    assert.match(text, /mainnet, chain id 1/);
    assert.match(text, new RegExp(`From: +${EVM_FROM}`));
    assert.match(text, new RegExp(`To: +${TOKEN}`));
    assert.match(text, /transfer\(address,uint256\) on the ERC-20 token/);
    assert.match(text, new RegExp(`to: ${EVM_SUCCESSOR}`));
    assert.match(
      text,
      /amount: 1500000000000000000 base units \(1\.500000000000000000 DAI; .*unverified hint\)/,
    );
    assert.match(text, /Value: +0 wei \(0\.000000000000000000 ETH\)/);
    assert.match(text, /Nonce: +0/);
    // 100000 gas × 30 gwei = 0.003 ETH
    assert.match(text, /Max total fee: 3000000000000000 wei \(0\.003000000000000000 ETH\)/);
    assert.match(text, new RegExp(`Digest: +${decoded.digest}`));
    assert.doesNotMatch(text, /WARNING/);
  });

  it("shows a plain ETH transfer exactly in wei and ETH", async () => {
    const decoded = await decodeRequest(
      buildEvmRequest({
        tx: transferTx({ to: EVM_SUCCESSOR, value: "1", gasLimit: "21000" }),
        from: EVM_FROM,
      }),
    );
    const text = renderRequest(decoded).join("\n");
    assert.match(text, /plain ETH transfer/);
    assert.match(text, /Chain: +mainnet, chain id 1/, "a known chain id is named by the toolkit");
    const custom = await decodeRequest(
      buildEvmRequest({
        tx: transferTx({ chainId: "424242", to: EVM_SUCCESSOR, gasLimit: "21000" }),
        from: EVM_FROM,
        chainName: "devnet",
      }),
    );
    assert.match(
      renderRequest(custom).join("\n"),
      /Chain: +devnet \(name stated by the request; chain id not known/,
    );
    assert.match(text, /Value: +1 wei \(0\.000000000000000001 ETH\)/);
  });

  it("shows proxy calls", async () => {
    const decoded = await decodeRequest(
      buildEvmRequest({
        tx: transferTx({ to: PROXY, data: encodeCall("free", { wad: "2000000000000000000" }) }),
        from: EVM_FROM,
      }),
    );
    const text = renderRequest(decoded).join("\n");
    assert.match(text, /free\(uint256\) on the vote proxy/);
    assert.match(text, /wad: 2000000000000000000 base units \(2\.000000000000000000 with 18 decimals/);
  });

  it("shows a Tezos withdraw with entrypoint, parameter, mutez and tez, fees and limits", async () => {
    const decoded = await decodeRequest(
      await buildTezosRequest({ operation: withdrawOperation(), chainId: MAINNET, chainName: "mainnet" }),
    );
    const text = renderRequest(decoded).join("\n");
    assert.match(text, new RegExp(`chain id ${MAINNET}`));
    assert.match(text, new RegExp(`transaction to ${KT1}`));
    assert.match(text, /entrypoint: %withdraw/);
    assert.match(text, /withdraw: 2500000 mutez \(2\.500000 tez\)/);
    assert.match(text, /fee: 1500 mutez \(0\.001500 tez\)/);
    assert.match(text, /gas limit: 5000; storage limit: 0 bytes/);
    assert.match(text, /counter: 42/);
    assert.match(text, /Branch: +BLockGenesis/);
    assert.doesNotMatch(text, /WARNING/);
  });

  it("flags unknown calls and refuses them unless explicitly allowed", async () => {
    const approve = new Interface(["function approve(address,uint256)"]).encodeFunctionData("approve", [
      STRANGER,
      1n,
    ]);
    const decoded = await decodeRequest(
      buildEvmRequest({ tx: transferTx({ data: approve }), from: EVM_FROM }),
    );
    assert.match(renderRequest(decoded).join("\n"), /WARNING: unknown call: selector 0x095ea7b3/);
    await assert.rejects(confirm(decoded, { expectedDigest: decoded.digest }), refused("UNKNOWN_CALL"));
    const ok = await confirm(decoded, { expectedDigest: decoded.digest, allowUnknownCalls: true });
    assert.equal(ok.digest, decoded.digest);

    const op = withdrawOperation();
    op.contents[0]!.parameters = { entrypoint: "transfer", value: { int: "5" } };
    const tz = await decodeRequest(await buildTezosRequest({ operation: op, chainId: MAINNET }));
    assert.match(renderRequest(tz).join("\n"), /WARNING: operation 1: unknown call %transfer/);
    await assert.rejects(confirm(tz, { expectedDigest: tz.digest }), refused("UNKNOWN_CALL"));
  });
});

describe("confirmation", () => {
  it("accepts the expected digest non-interactively and refuses any other", async () => {
    const decoded = await tokenTransfer();
    const c = await confirm(decoded, { expectedDigest: decoded.digest.toUpperCase().replace("0X", "0x") });
    assert.equal(c.mode, "expected-digest");
    assertConfirmed(decoded, c);
    const other = `0x${"ab".repeat(32)}`;
    await assert.rejects(confirm(decoded, { expectedDigest: other }), refused("DIGEST_MISMATCH"));
    await assert.rejects(
      confirm(decoded, { expectedDigest: "0x1234" }),
      (e: unknown) => e instanceof InvalidInputError && e.field === "expectedDigest",
    );
    await assert.rejects(confirm(decoded), refused("CONFIRMATION_REQUIRED"));
  });

  it("refuses a worst-case fee above the operator's cap (boundary: at the cap passes)", async () => {
    const decoded = await tokenTransfer();
    assert.equal(worstCaseFee(decoded), 3_000_000_000_000_000n);
    await confirm(decoded, { expectedDigest: decoded.digest, maxFee: "3000000000000000" });
    await assert.rejects(
      confirm(decoded, { expectedDigest: decoded.digest, maxFee: 2_999_999_999_999_999n }),
      refused("FEE_TOO_HIGH"),
    );
    await assert.rejects(
      confirm(decoded, { expectedDigest: decoded.digest, maxFee: "-1" }),
      (e: unknown) => e instanceof InvalidInputError && e.field === "maxFee",
    );
    const tz = await decodeRequest(
      await buildTezosRequest({ operation: withdrawOperation(), chainId: MAINNET }),
    );
    assert.equal(worstCaseFee(tz), 1500n);
    await assert.rejects(confirm(tz, { expectedDigest: tz.digest, maxFee: 1499n }), refused("FEE_TOO_HIGH"));
  });

  it("asks interactively and signs only when the operator types the digest's first 8 digits", async () => {
    const decoded = await tokenTransfer();
    let shown: readonly string[] = [];
    const c = await confirm(decoded, {
      prompt: (lines) => {
        shown = lines;
        return decoded.digest.slice(2, 10);
      },
    });
    assert.equal(c.mode, "interactive");
    assert.deepEqual(shown, renderRequest(decoded));
    await assert.rejects(confirm(decoded, { prompt: () => "yes" }), refused("NOT_CONFIRMED"));
    await assert.rejects(confirm(decoded, { prompt: () => "" }), refused("NOT_CONFIRMED"));
  });

  it("refuses confirmations that confirm() did not issue or that belong to another request", async () => {
    const decoded = await tokenTransfer();
    const forged: Confirmation = { digest: decoded.digest, mode: "expected-digest" };
    assert.throws(() => assertConfirmed(decoded, forged), refused("NOT_CONFIRMED"));
    assert.throws(() => assertConfirmed(decoded, undefined), refused("NOT_CONFIRMED"));
    const other = await decodeRequest(buildEvmRequest({ tx: transferTx({ nonce: "8" }), from: EVM_FROM }));
    const c = await confirm(other, { expectedDigest: other.digest });
    assert.throws(() => assertConfirmed(decoded, c), refused("DIGEST_MISMATCH"));
  });
});
