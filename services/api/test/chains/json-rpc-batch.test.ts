/**
 * The worker's lean JSON-RPC client: calls made in one turn travel as one batch, each answer goes
 * to its own caller (by id, whatever the order), a node's error fails only its item, and a broken
 * transport or answer fails the batch with a message that says what was wrong. Against a real
 * HTTP server on 127.0.0.1 that records what it received.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { JsonRpcBatchClient, JsonRpcError } from "../../src/chains/json-rpc-batch.js";

type Handler = (body: unknown, res: http.ServerResponse) => void;

interface RpcItem {
  id: number;
  method: string;
  params: unknown[];
}

describe("JsonRpcBatchClient", () => {
  let server: http.Server;
  let url: string;
  let handler: Handler;
  const posts: unknown[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
        posts.push(body);
        handler(body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const answer = (res: http.ServerResponse, value: unknown, status = 200): void => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(typeof value === "string" ? value : JSON.stringify(value));
  };

  it("sends the calls of one turn as one batch and gives each its own answer, in any order", async () => {
    posts.length = 0;
    handler = (body, res) =>
      answer(
        res,
        (body as RpcItem[])
          .map((item) => ({
            jsonrpc: "2.0",
            id: item.id,
            result: `${item.method}:${String(item.params[0])}`,
          }))
          .reverse(),
      );
    const rpc = new JsonRpcBatchClient(url);
    const results = await Promise.all([1, 2, 3].map((n) => rpc.call("eth_echo", [n])));
    assert.deepEqual(results, ["eth_echo:1", "eth_echo:2", "eth_echo:3"]);
    assert.equal(posts.length, 1, "one HTTP round trip");
    const sent = posts[0] as RpcItem[];
    assert.deepEqual(
      sent.map((s) => s.params[0]),
      [1, 2, 3],
      "in the order called (a node handles a batch in order)",
    );
    assert.ok(sent.every((s) => (s as unknown as { jsonrpc: string }).jsonrpc === "2.0"));
    // A later turn is another batch.
    assert.equal(await rpc.call("eth_echo", ["later"]), "eth_echo:later");
    assert.equal(posts.length, 2);
    rpc.close();
  });

  it("splits a turn's calls into batches of at most maxBatch", async () => {
    posts.length = 0;
    handler = (body, res) =>
      answer(
        res,
        (body as RpcItem[]).map((item) => ({ jsonrpc: "2.0", id: item.id, result: item.params[0] })),
      );
    const rpc = new JsonRpcBatchClient(url, { maxBatch: 4 });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => rpc.call("eth_echo", [i])));
    assert.deepEqual(
      results,
      Array.from({ length: 10 }, (_, i) => i),
    );
    assert.deepEqual(
      (posts as RpcItem[][]).map((p) => p.length),
      [4, 4, 2],
    );
    rpc.close();
  });

  it("fails only the item the node refused, with its code, message and data", async () => {
    handler = (body, res) =>
      answer(
        res,
        (body as RpcItem[]).map((item) =>
          item.params[0] === "bad"
            ? { jsonrpc: "2.0", id: item.id, error: { code: -32000, message: "nonce too low", data: "0x12" } }
            : { jsonrpc: "2.0", id: item.id, result: "ok" },
        ),
      );
    const rpc = new JsonRpcBatchClient(url);
    const [good, bad] = await Promise.allSettled([
      rpc.call("eth_sendRawTransaction", ["good"]),
      rpc.call("eth_sendRawTransaction", ["bad"]),
    ]);
    assert.deepEqual(good, { status: "fulfilled", value: "ok" });
    assert.equal(bad.status, "rejected");
    const error = (bad as PromiseRejectedResult).reason as JsonRpcError;
    assert.ok(error instanceof JsonRpcError);
    assert.equal(error.code, -32000);
    assert.equal(error.data, "0x12");
    assert.match(error.message, /eth_sendRawTransaction: nonce too low \(JSON-RPC error -32000\)/);
    rpc.close();
  });

  it("names the missing item, and a missing result, instead of answering undefined", async () => {
    handler = (body, res) => {
      const [first, second] = body as RpcItem[];
      answer(res, [
        { jsonrpc: "2.0", id: first!.id },
        { jsonrpc: "2.0", id: second!.id + 1000, result: 1 },
      ]);
    };
    const rpc = new JsonRpcBatchClient(url);
    const [a, b] = await Promise.allSettled([rpc.call("eth_a", []), rpc.call("eth_b", [])]);
    assert.match(String((a as PromiseRejectedResult).reason), /eth_a: answer \d+ has no result/);
    assert.match(
      String((b as PromiseRejectedResult).reason),
      /eth_b: the node's batch answer has no item \d+/,
    );
    rpc.close();
  });

  it("fails the whole batch on an HTTP error, a non-array answer or broken JSON", async () => {
    const rpc = new JsonRpcBatchClient(url);
    handler = (_body, res) => answer(res, "upstream down", 502);
    await assert.rejects(rpc.call("eth_blockNumber", []), /JSON-RPC: HTTP 502: upstream down/);
    handler = (_body, res) => answer(res, { jsonrpc: "2.0", id: 1, result: "0x1" });
    await assert.rejects(rpc.call("eth_blockNumber", []), /expected a batch answer \(an array\), got object/);
    handler = (_body, res) => answer(res, "[{");
    await assert.rejects(rpc.call("eth_blockNumber", []), SyntaxError);
    rpc.close();
  });

  it("refuses an answer above maxResponseBytes and gives up after timeoutMs", async () => {
    handler = (body, res) =>
      answer(
        res,
        (body as RpcItem[]).map((item) => ({ jsonrpc: "2.0", id: item.id, result: "x".repeat(4096) })),
      );
    const small = new JsonRpcBatchClient(url, { maxResponseBytes: 1024 });
    await assert.rejects(small.call("eth_big", []), /JSON-RPC answer larger than 1024 bytes/);
    small.close();
    handler = () => {
      // never answers
    };
    const impatient = new JsonRpcBatchClient(url, { timeoutMs: 100 });
    await assert.rejects(impatient.call("eth_slow", []), /no answer within 100 ms/);
    impatient.close();
  });

  it("fails queued and later calls once closed, and refuses a URL that is not http(s)", async () => {
    handler = (body, res) =>
      answer(
        res,
        (body as RpcItem[]).map((item) => ({ jsonrpc: "2.0", id: item.id, result: 1 })),
      );
    const rpc = new JsonRpcBatchClient(url);
    const queued = rpc.call("eth_blockNumber", []);
    rpc.close();
    await assert.rejects(queued, /JSON-RPC client closed/);
    await assert.rejects(rpc.call("eth_blockNumber", []), /JSON-RPC client closed/);
    assert.throws(() => new JsonRpcBatchClient("ws://127.0.0.1:8545"), /must be http\(s\): ws:/);
  });

  it("fails the batch when the server is not there", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const rpc = new JsonRpcBatchClient(`http://127.0.0.1:${port}`);
    await assert.rejects(rpc.call("eth_blockNumber", []), /ECONNREFUSED/);
    rpc.close();
  });
});
