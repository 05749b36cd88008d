/**
 * The batch signing endpoint: many unsigned EVM transactions of one key, each judged by the same
 * rules as the single endpoint, answered in order, with one journal write per batch.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Transaction } from "ethers";
import { SignerClient, SignerClientError, EVM_BATCH_LIMIT } from "../src/client.js";
import { AuditLog } from "../src/state/audit.js";
import { TOKEN, call, startFixtureServer } from "./helpers/server.js";
import { COLD, createProxyTx, journaledNonce, proxyAbi, unsignedTx } from "./helpers/fixture.js";

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, "utf8").trim().split("\n") : [];
}

describe("POST /v1/sign/evm/batch", () => {
  let s: Awaited<ReturnType<typeof startFixtureServer>>;
  let client: SignerClient;
  let proxy: string;
  before(async () => {
    s = await startFixtureServer();
    client = new SignerClient({ url: s.server.url, token: TOKEN });
  });
  after(() => s.server.close());

  const lock = (nonce: number, wad = 1n): string =>
    unsignedTx({ to: proxy, nonce, data: proxyAbi.encodeFunctionData("lock", [wad]) });

  it("signs good items and refuses bad ones in order, advancing the nonce past signed items only", async () => {
    const noncesBefore = lines(join(s.dir, "nonces.jsonl")).length;
    const auditBefore = lines(join(s.dir, "audit.jsonl")).length;
    // The proxy originated by item 0 is known to the items after it, as with single calls.
    const first = await client.signEvmBatch("evm-hot", [createProxyTx(s.evmAddress, 0)]);
    const origination = first[0]!;
    assert.ok(origination.ok);
    proxy = String(origination.intent["proxy"]);
    const results = await client.signEvmBatch("evm-hot", [
      lock(1),
      unsignedTx({ to: proxy, nonce: 2, data: proxyAbi.encodeFunctionData("transfer", [COLD, 1n]) }),
      lock(2),
      lock(4),
      "0xzz",
      unsignedTx({ to: proxy, nonce: 3, data: proxyAbi.encodeFunctionData("vote(address[])", [[COLD]]) }),
      lock(3, 0n),
    ]);
    assert.deepEqual(
      results.map((r) => (r.ok ? "ok" : (r.error.reason ?? r.error.code))),
      ["ok", "EVM_FORBIDDEN_CALL", "ok", "EVM_NONCE_GAP", "SIGNER_INVALID_INPUT", "ok", "EVM_NONCE_REPLAY"],
    );
    const signed = results.filter((r) => r.ok);
    assert.deepEqual(
      signed.map((r) => Number(Transaction.from(r.signedTransaction).nonce)),
      [1, 2, 3],
    );
    for (const r of signed) {
      const tx = Transaction.from(r.signedTransaction);
      assert.equal(tx.from, s.evmAddress);
      assert.equal(tx.hash, r.hash);
    }
    const bad = results[1]!;
    assert.ok(!bad.ok && bad.error instanceof SignerClientError);
    assert.equal(bad.error.status, 403);
    assert.equal(bad.error.code, "SIGNER_POLICY_REFUSED");
    const malformed = results[4]!;
    assert.ok(!malformed.ok);
    assert.equal(malformed.error.status, 400);
    assert.equal(malformed.error.field, "unsignedTx");

    // One nonce line per batch (two batches here), the last one the next nonce after item 5.
    assert.equal(lines(join(s.dir, "nonces.jsonl")).length, noncesBefore + 2);
    assert.equal(journaledNonce(s.dir, s.evmAddress), 4);
    assert.equal((await client.key("evm-hot")).nextNonce, "4");

    // Every decision, refusals included, is in the signer's own hash-chained audit log, in order.
    const audit = lines(join(s.dir, "audit.jsonl"))
      .slice(auditBefore)
      .map((l) => JSON.parse(l) as { outcome: string; reason?: string; digest: string | null });
    assert.deepEqual(
      audit.map((a) => (a.outcome === "signed" ? "signed" : a.reason)),
      [
        "signed",
        "signed",
        "EVM_FORBIDDEN_CALL",
        "signed",
        "EVM_NONCE_GAP",
        "SIGNER_INVALID_INPUT",
        "signed",
        "EVM_NONCE_REPLAY",
      ],
    );
    assert.equal(audit[5]!.digest, null, "malformed bytes have no digest");
    assert.equal(AuditLog.verify(join(s.dir, "audit.jsonl")), lines(join(s.dir, "audit.jsonl")).length);
    assert.ok(s.logs.some((l) => l["msg"] === "batch items refused" && l["refused"] === 4));
  });

  it("answers the same refusal reasons as the single endpoint", async () => {
    const tx = lock(9);
    const [batched] = await client.signEvmBatch("evm-hot", [tx]);
    const single = await client.signEvm("evm-hot", tx).then(
      () => undefined,
      (e: unknown) => e as SignerClientError,
    );
    assert.ok(batched && !batched.ok && single);
    assert.deepEqual(
      [batched.error.status, batched.error.code, batched.error.reason, batched.error.field],
      [single.status, single.code, single.reason, single.field],
    );
  });

  it("refuses the whole call for a bad key or body, changing nothing", async () => {
    const before = readFileSync(join(s.dir, "nonces.jsonl"), "utf8");
    await assert.rejects(
      client.signEvmBatch("nobody", [lock(4)]),
      (e: unknown) =>
        e instanceof SignerClientError && e.code === "SIGNER_UNKNOWN_KEY" && e.field === "keyId",
    );
    await assert.rejects(
      client.signEvmBatch("tezos-hot", [lock(4)]),
      (e: unknown) => e instanceof SignerClientError && e.code === "SIGNER_WRONG_KEY_TYPE",
    );
    for (const [body, field] of [
      [{ keyId: "evm-hot", unsignedTxs: [] }, "unsignedTxs"],
      [{ keyId: "evm-hot", unsignedTxs: "0x02" }, "unsignedTxs"],
      [{ keyId: "evm-hot", unsignedTxs: [1] }, "unsignedTxs.0"],
      [{ keyId: "evm-hot", unsignedTxs: Array(EVM_BATCH_LIMIT + 1).fill("0x02") }, "unsignedTxs"],
      [{ keyId: "evm-hot", unsignedTxs: ["0x02"], extra: 1 }, "extra"],
    ] as const) {
      const r = await call(s.server.url, "POST", "/v1/sign/evm/batch", JSON.stringify(body));
      assert.equal(r.status, 400, JSON.stringify(body).slice(0, 60));
      assert.equal(r.json.error?.code, "SIGNER_INVALID_INPUT");
      assert.equal(r.json.error?.field, field);
    }
    assert.equal(readFileSync(join(s.dir, "nonces.jsonl"), "utf8"), before);
    assert.deepEqual(await client.signEvmBatch("evm-hot", []), []);
  });

  it("splits runs longer than the limit into ordered calls", async () => {
    const txs = Array.from({ length: EVM_BATCH_LIMIT + 2 }, (_, i) => lock(4 + i));
    const results = await client.signEvmBatch("evm-hot", txs);
    assert.equal(results.length, txs.length);
    assert.ok(results.every((r) => r.ok));
    assert.equal(journaledNonce(s.dir, s.evmAddress), 4 + txs.length);
  });
});
