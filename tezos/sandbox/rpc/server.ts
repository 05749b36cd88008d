/**
 * HTTP front of the sandbox: a `node:http` server speaking the node RPC subset in `routes.ts`.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { SandboxChain } from "../ledger/chain.js";
import { handleRpc } from "./routes.js";

export interface SandboxServerOptions {
  readonly chain: SandboxChain;
  /** 0 picks a free port (tests). */
  readonly port?: number;
  readonly host?: string;
  /** Called once per request, e.g. to log which endpoints a client uses. */
  readonly onRequest?: (method: string, path: string, status: number) => void;
}

/** A running sandbox server. */
export interface RunningSandbox {
  readonly url: string;
  readonly port: number;
  readonly chain: SandboxChain;
  readonly server: Server;
  close(): Promise<void>;
}

/** Bodies above this size are refused: the node's own operation size limit is 32 KiB. */
const MAX_BODY_BYTES = 1 << 20;

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  return text === "" ? undefined : JSON.parse(text);
}

/**
 * Starts the RPC server on `host:port` (default 127.0.0.1, a free port).
 *
 * @example
 * const sandbox = await startSandboxServer({ chain });
 * const tezos = new TezosToolkit(sandbox.url);
 */
export async function startSandboxServer(opts: SandboxServerOptions): Promise<RunningSandbox> {
  const { chain } = opts;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://sandbox");
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(text);
      opts.onRequest?.(req.method ?? "GET", url.pathname, status);
    };
    readBody(req)
      .then((body) => handleRpc(chain, { method: req.method ?? "GET", path: url.pathname, body }))
      .then((reply) => send(reply.status, reply.body))
      .catch((err: unknown) =>
        send(400, [{ kind: "permanent", id: "sandbox.bad_request", message: (err as Error).message }]),
      );
  });
  // Taquito keeps connections alive between polls; don't let idle sockets hold `close()`.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host ?? "127.0.0.1";
  return {
    url: `http://${host}:${port}`,
    port,
    chain,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
