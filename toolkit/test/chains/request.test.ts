import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  buildEvmRequest,
  buildTezosRequest,
  decodeRequest,
  type ColdRequest,
} from "../../src/chains/request.js";
import { encodeCall } from "../../src/chains/evm/abi.js";
import { IntegrityError, InvalidInputError, SummaryMismatchError } from "../../src/errors.js";
import {
  EVM_FROM,
  EVM_SUCCESSOR,
  KT1,
  MAINNET,
  STRANGER,
  TEZOS_SUCCESSOR,
  TEZOS_STRANGER,
  TOKEN,
  transferOperation,
  transferTx,
  withdrawOperation,
} from "./fixtures.js";

function evmRequest() {
  return buildEvmRequest({
    tx: transferTx({ data: encodeCall("transfer", { to: EVM_SUCCESSOR, amount: "1234500" }) }),
    from: EVM_FROM,
    chainName: "mainnet",
    hints: { tokens: { [TOKEN]: { symbol: "DAI", decimals: 18 } } },
  });
}

function tezosRequest() {
  return buildTezosRequest({ operation: withdrawOperation(), chainId: MAINNET, chainName: "mainnet" });
}

/** A deep copy with one summary path replaced. */
function withSummary(request: ColdRequest, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(request) as unknown as Record<string, unknown>;
  let node = copy.summary as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) node = node[p] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

async function refusedAt(request: unknown, field: string): Promise<void> {
  await assert.rejects(decodeRequest(request), (e: unknown) => {
    assert.ok(e instanceof SummaryMismatchError, `expected SummaryMismatchError, got ${String(e)}`);
    assert.equal(e.code, "SUMMARY_MISMATCH");
    assert.equal(e.field, field);
    return true;
  });
}

/** Every leaf of a summary as [path for the error, path for withSummary]. */
function leaves(value: unknown, path: (string | number)[] = []): [string, (string | number)[]][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  const name = path.reduce<string>((s, p) => (typeof p === "number" ? `${s}[${p}]` : `${s}.${p}`), "summary");
  return [[name, path]];
}

describe("prepared requests", () => {
  it("refuses a change to any derived summary field, naming it (property)", async () => {
    const requests = [
      evmRequest(),
      await tezosRequest(),
      await buildTezosRequest({ operation: transferOperation(), chainId: MAINNET }),
    ];
    for (const request of requests) {
      // `from` is the one EVM field the bytes cannot hold; the signer checks it against the key.
      const paths = leaves(request.summary).filter(([name]) => name !== "summary.from");
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...paths),
          fc.string({ maxLength: 12 }),
          async ([name, path], text) => {
            const original = path.reduce<unknown>(
              (n, p) => (n as Record<string | number, unknown>)[p],
              request.summary,
            );
            fc.pre(text.toLowerCase() !== String(original).toLowerCase());
            await refusedAt(withSummary(request, path, text), name);
          },
        ),
        { numRuns: 60 },
      );
    }
  });

  it("round-trips an EVM request: the summary is re-derived from the bytes", async () => {
    const request = evmRequest();
    const decoded = await decodeRequest(JSON.parse(JSON.stringify(request)));
    assert.equal(decoded.kind, "evm-transaction");
    assert.deepEqual(decoded.summary, request.summary);
    assert.equal(decoded.digest, request.digest);
    assert.equal(request.summary.call, "transfer(address,uint256)");
    assert.deepEqual(request.summary.args, { to: EVM_SUCCESSOR, amount: "1234500" });
  });

  it("round-trips a Tezos request", async () => {
    const request = await tezosRequest();
    const decoded = await decodeRequest(JSON.parse(JSON.stringify(request)));
    assert.deepEqual(decoded.summary, request.summary);
    assert.equal(request.summary.operations[0]?.entrypoint, "withdraw");
    assert.equal(request.summary.operations[0]?.parameter, "2500000");
  });

  it("accepts EVM addresses in any case in the summary", async () => {
    const request = evmRequest();
    await decodeRequest(withSummary(request, ["to"], request.summary.to.toLowerCase()));
  });

  it("refuses an EVM summary that differs in to, amount, fee, chain, call or from-less fields", async () => {
    const request = evmRequest();
    await refusedAt(withSummary(request, ["to"], STRANGER), "summary.to");
    await refusedAt(withSummary(request, ["args", "amount"], "1234501"), "summary.args.amount");
    await refusedAt(withSummary(request, ["args", "to"], STRANGER), "summary.args.to");
    await refusedAt(withSummary(request, ["value"], "1"), "summary.value");
    await refusedAt(withSummary(request, ["maxFeePerGas"], "1"), "summary.maxFeePerGas");
    await refusedAt(withSummary(request, ["gasLimit"], "21000"), "summary.gasLimit");
    await refusedAt(withSummary(request, ["chainId"], "5"), "summary.chainId");
    await refusedAt(withSummary(request, ["nonce"], "8"), "summary.nonce");
    await refusedAt(withSummary(request, ["call"], "rescueEth()"), "summary.call");
    await refusedAt(withSummary(request, ["extra"], "x"), "summary.extra");
    await refusedAt(withSummary(request, ["value"], undefined), "summary.value");
    await refusedAt({ ...structuredClone(request), chain: { family: "evm", chainId: "5" } }, "chain.chainId");
    await refusedAt(
      { ...structuredClone(request), chain: { family: "evm", chainId: "1", name: "sepolia" } },
      "chain.name",
    );
  });

  it("refuses a Tezos summary that differs in destination, amount, fee, branch or entrypoint", async () => {
    const request = await tezosRequest();
    await refusedAt(
      withSummary(request, ["operations", 0, "destination"], TEZOS_STRANGER),
      "summary.operations[0].destination",
    );
    await refusedAt(withSummary(request, ["operations", 0, "amount"], "1"), "summary.operations[0].amount");
    await refusedAt(withSummary(request, ["operations", 0, "fee"], "1"), "summary.operations[0].fee");
    await refusedAt(
      withSummary(request, ["operations", 0, "entrypoint"], "default"),
      "summary.operations[0].entrypoint",
    );
    await refusedAt(
      withSummary(request, ["operations", 0, "parameter"], "1"),
      "summary.operations[0].parameter",
    );
    await refusedAt(
      withSummary(request, ["branch"], "BLockGenesisGenesisGenesisGenesisGenesisCCCCCeZiLHU"),
      "summary.branch",
    );
    await refusedAt(withSummary(request, ["source"], TEZOS_SUCCESSOR), "summary.source");
    const transfer = await buildTezosRequest({ operation: transferOperation(), chainId: MAINNET });
    await refusedAt(
      withSummary(transfer, ["operations", 0, "destination"], KT1),
      "summary.operations[0].destination",
    );
  });

  it("refuses a digest that is not the hash of the bytes, and bytes changed under their digest", async () => {
    const request = evmRequest();
    const wrong = { ...structuredClone(request), digest: `0x${"00".repeat(32)}` };
    await assert.rejects(
      decodeRequest(wrong),
      (e: unknown) => e instanceof IntegrityError && e.subject === "digest",
    );
    const other = buildEvmRequest({ tx: transferTx({ nonce: "8" }), from: EVM_FROM });
    await assert.rejects(
      decodeRequest({ ...structuredClone(request), unsigned: other.unsigned }),
      (e: unknown) => e instanceof IntegrityError,
    );
    const tz = await tezosRequest();
    await assert.rejects(
      decodeRequest({ ...structuredClone(tz), unsigned: `${tz.unsigned}00` }),
      (e: unknown) => e instanceof IntegrityError || e instanceof InvalidInputError,
    );
  });

  it("refuses malformed requests, naming the field", async () => {
    const request = evmRequest();
    const bad = async (r: unknown, f: string) =>
      assert.rejects(decodeRequest(r), (e: unknown) => e instanceof InvalidInputError && e.field === f, f);
    await bad({ ...request, version: 2 }, "version");
    await bad({ ...request, kind: "bitcoin" }, "kind");
    await bad({ ...request, chain: { family: "tezos", chainId: "1" } }, "chain.family");
    await bad({ ...request, unsigned: "0x12zz" }, "unsigned");
    await bad({ ...request, unsigned: "0x01" }, "unsigned");
    await bad({ ...request, surprise: 1 }, "surprise");
    await bad({ ...request, chain: { ...request.chain, rpc: "http://node" } }, "chain.rpc");
    await bad(withSummary(request, ["from"], "0x1234"), "summary.from");
    await bad(
      { ...request, hints: { tokens: { [TOKEN]: { symbol: "DAI", decimals: 99 } } } },
      `hints.tokens.${TOKEN}.decimals`,
    );
    await bad({ ...request, digest: "0x1234" }, "digest");
    await bad(null, "request");
    const tz = await tezosRequest();
    await bad({ ...tz, chain: { family: "tezos", chainId: "NetXnope" } }, "chain.chainId");
  });

  it("refuses to build a request from invalid input, naming the field", () => {
    assert.throws(
      () => buildEvmRequest({ tx: transferTx({ to: "0xnope" }), from: EVM_FROM }),
      (e: unknown) => e instanceof InvalidInputError && e.field === "to",
    );
    assert.throws(
      () => buildEvmRequest({ tx: transferTx(), from: "0x12" }),
      (e: unknown) => e instanceof InvalidInputError && e.field === "from",
    );
  });
});
