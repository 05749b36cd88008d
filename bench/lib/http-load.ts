/**
 * An HTTP load generator on its own thread, so the client's JSON, fetch and socket work does not
 * run on the event loop of the server it measures (both would otherwise share one Node thread).
 */
import { Worker } from "node:worker_threads";

/** One request the generator sends. */
export interface LoadRequest {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly body?: unknown;
  readonly idempotencyKey?: string;
}

/** What came back for one request, in the order the requests were given. */
export interface LoadAnswer {
  readonly status: number;
  readonly body: unknown;
  /** From just before `fetch` to the last byte of the body, measured on the generator's thread. */
  readonly ms: number;
}

export interface LoadRun {
  readonly answers: LoadAnswer[];
  /** Wall time from the first request sent to the last answer read. */
  readonly seconds: number;
}

// Plain JavaScript so the thread needs no TypeScript loader.
const SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { base, token, requests, concurrency } = workerData;
const answers = new Array(requests.length);
let next = 0;
async function lane() {
  while (next < requests.length) {
    const i = next++;
    const r = requests[i];
    const headers = { authorization: "Bearer " + token };
    if (r.idempotencyKey) headers["idempotency-key"] = r.idempotencyKey;
    const init = { method: r.method, headers };
    if (r.body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(r.body);
    }
    const began = performance.now();
    try {
      const res = await fetch(base + r.path, init);
      const text = await res.text();
      answers[i] = { status: res.status, body: text ? JSON.parse(text) : null, ms: performance.now() - began };
    } catch (error) {
      answers[i] = { status: 0, body: String(error), ms: performance.now() - began };
    }
  }
}
const began = performance.now();
Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, lane)).then(() => {
  parentPort.postMessage({ answers, seconds: (performance.now() - began) / 1000 });
});
`;

/**
 * Sends `requests` to `base` with at most `concurrency` in flight, from a worker thread.
 * Transport errors come back as status 0 with the error text as the body.
 *
 * @throws when the thread itself fails.
 */
export function runHttpLoad(options: {
  base: string;
  token: string;
  requests: readonly LoadRequest[];
  concurrency: number;
}): Promise<LoadRun> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(SOURCE, { eval: true, workerData: options });
    worker.once("message", (run: LoadRun) => {
      resolve(run);
      void worker.terminate();
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0 && code !== 1) reject(new Error(`load generator exited with code ${code}`));
    });
  });
}
