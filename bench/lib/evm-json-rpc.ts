/**
 * Serves an in-process EIP-1193 provider (Hardhat's EVM) as HTTP JSON-RPC, so a service under
 * benchmark reaches the chain exactly as it would reach a real node: over a socket, one request
 * or one batch per HTTP call.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** The part of an EIP-1193 provider this server needs. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

/** A running JSON-RPC endpoint; `close` stops listening and ends idle keep-alive sockets. */
export interface JsonRpcEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

interface RpcRequest {
  readonly id?: unknown;
  readonly method: string;
  readonly params?: unknown[];
}

function isRpcRequest(value: unknown): value is RpcRequest {
  return typeof value === "object" && value !== null && typeof (value as RpcRequest).method === "string";
}

async function inOrder(
  items: readonly unknown[],
  answer: (r: unknown) => Promise<unknown>,
): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const item of items) out.push(await answer(item));
  return out;
}

/**
 * Listens on 127.0.0.1 on a free port and forwards every JSON-RPC call to `provider`.
 *
 * @example
 * const rpc = await serveJsonRpc(conn.provider);
 * const chain = new EthersEvmChain(rpc.url, CONTRACT_ERRORS);
 */
export async function serveJsonRpc(
  provider: Eip1193Provider,
  options: { keepAliveTimeoutMs?: number } = {},
): Promise<JsonRpcEndpoint> {
  const answer = async (req: unknown): Promise<unknown> => {
    if (!isRpcRequest(req)) {
      return { jsonrpc: "2.0", id: null, error: { code: -32600, message: "invalid request" } };
    }
    try {
      const result = await provider.request({ method: req.method, params: req.params ?? [] });
      return { jsonrpc: "2.0", id: req.id ?? null, result };
    } catch (error) {
      const e = error as { code?: number; message?: string; data?: unknown };
      return {
        jsonrpc: "2.0",
        id: req.id ?? null,
        error: { code: e.code ?? -32603, message: e.message ?? String(error), data: e.data },
      };
    }
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        body = undefined;
      }
      // A batch is answered item after item, as nodes do: sends of one run reach the pool in order.
      const work = Array.isArray(body) ? inOrder(body, answer) : answer(body);
      void work.then((out) => {
        response.setHeader("content-type", "application/json");
        // Hardhat answers some fields as bigint; JSON-RPC carries them as decimal strings.
        response.end(JSON.stringify(out, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
      });
    });
  });
  // Clients in other processes keep idle connections alive; a short timeout stops them from
  // holding a test's process open.
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
