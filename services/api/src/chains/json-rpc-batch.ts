/**
 * A lean JSON-RPC 2.0 client for the outbox worker's high-volume calls (broadcasts, receipts, the
 * head block): calls made in the same turn of the event loop travel as one batch over a kept-alive
 * HTTP connection, and answers are parsed with the engine's own UTF-8 decoder and JSON.parse.
 * ethers' provider decodes every body in JavaScript and formats every receipt (each log address
 * checksummed with a keccak), which was a quarter of the worker's CPU per vote (decision 1042).
 */
import http from "node:http";
import https from "node:https";

/** An error answered by the node for one request of a batch. */
export class JsonRpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    readonly data: unknown,
  ) {
    super(`${method}: ${message} (JSON-RPC error ${code})`);
    this.name = "JsonRpcError";
  }
}

interface Pending {
  readonly id: number;
  readonly method: string;
  readonly params: readonly unknown[];
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Options of {@link JsonRpcBatchClient}. */
export interface JsonRpcBatchOptions {
  /** Requests per HTTP round trip (default 100). */
  readonly maxBatch?: number;
  /** Per round trip (default 30 s). */
  readonly timeoutMs?: number;
  /** Larger answers are refused (default 32 MiB). */
  readonly maxResponseBytes?: number;
}

/**
 * @example
 * const rpc = new JsonRpcBatchClient("http://127.0.0.1:8545");
 * const [a, b] = await Promise.all([rpc.call("eth_blockNumber", []), rpc.call("eth_chainId", [])]);
 */
export class JsonRpcBatchClient {
  readonly #url: URL;
  readonly #transport: typeof http | typeof https;
  readonly #agent: http.Agent;
  readonly #maxBatch: number;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  #queue: Pending[] = [];
  #scheduled = false;
  #nextId = 1;
  #closed = false;

  constructor(url: string, options: JsonRpcBatchOptions = {}) {
    this.#url = new URL(url);
    if (this.#url.protocol !== "http:" && this.#url.protocol !== "https:")
      throw new Error(`JSON-RPC URL must be http(s): ${this.#url.protocol}`);
    this.#transport = this.#url.protocol === "https:" ? https : http;
    this.#agent = new this.#transport.Agent({ keepAlive: true, maxSockets: 4 });
    this.#maxBatch = options.maxBatch ?? 100;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxResponseBytes = options.maxResponseBytes ?? 32 * 1024 * 1024;
  }

  /**
   * Queues one call; it leaves with every other call made before the event loop turns.
   *
   * @throws {JsonRpcError} the node's error for this request.
   * @throws {Error} transport failures, malformed answers, or a closed client.
   */
  call<T = unknown>(method: string, params: readonly unknown[]): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("JSON-RPC client closed"));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        id: this.#nextId++,
        method,
        params,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Fails what is queued and closes the kept-alive connections. */
  close(): void {
    this.#closed = true;
    const left = this.#queue;
    this.#queue = [];
    for (const p of left) p.reject(new Error("JSON-RPC client closed"));
    this.#agent.destroy();
  }

  #flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    for (let at = 0; at < queue.length; at += this.#maxBatch) {
      void this.#roundTrip(queue.slice(at, at + this.#maxBatch));
    }
  }

  async #roundTrip(batch: readonly Pending[]): Promise<void> {
    let answers: unknown;
    try {
      const body = JSON.stringify(
        batch.map((p) => ({ jsonrpc: "2.0", id: p.id, method: p.method, params: p.params })),
      );
      answers = JSON.parse(await this.#post(body));
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const p of batch) p.reject(failure);
      return;
    }
    if (!Array.isArray(answers)) {
      const failure = new Error(`JSON-RPC: expected a batch answer (an array), got ${typeof answers}`);
      for (const p of batch) p.reject(failure);
      return;
    }
    const byId = new Map<
      number,
      { result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } }
    >();
    for (const a of answers as unknown[]) {
      if (a !== null && typeof a === "object" && typeof (a as { id?: unknown }).id === "number")
        byId.set((a as { id: number }).id, a as never);
    }
    for (const p of batch) {
      const answer = byId.get(p.id);
      if (answer === undefined)
        p.reject(new Error(`${p.method}: the node's batch answer has no item ${p.id}`));
      else if (answer.error !== undefined && answer.error !== null) {
        const e = answer.error;
        p.reject(
          new JsonRpcError(
            p.method,
            typeof e.code === "number" ? e.code : 0,
            typeof e.message === "string" ? e.message : "unknown error",
            e.data,
          ),
        );
      } else if (!("result" in answer)) p.reject(new Error(`${p.method}: answer ${p.id} has no result`));
      else p.resolve(answer.result);
    }
  }

  #post(body: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const request = this.#transport.request(
        this.#url,
        {
          method: "POST",
          agent: this.#agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
          timeout: this.#timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.#maxResponseBytes) {
              response.destroy(new Error(`JSON-RPC answer larger than ${this.#maxResponseBytes} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          response.on("error", reject);
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if (response.statusCode !== 200)
              reject(new Error(`JSON-RPC: HTTP ${response.statusCode}: ${text.slice(0, 200)}`));
            else resolve(text);
          });
        },
      );
      request.on("timeout", () =>
        request.destroy(new Error(`JSON-RPC: no answer within ${this.#timeoutMs} ms`)),
      );
      request.on("error", reject);
      request.end(body);
    });
  }
}
