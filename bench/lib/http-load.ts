/**
 * An HTTP load generator on its own thread, so the client's JSON, HTTP and socket work does not
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
  /**
   * To the last byte of the body, measured on the generator's thread: from just before sending in a
   * closed loop; from the request's scheduled time at a fixed rate, so a late send counts as latency
   * (no coordinated omission).
   */
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
const http = require("node:http");
const { base, token, requests, concurrency, ratePerSec } = workerData;
const answers = new Array(requests.length);
const target = new URL(base);
// node:http with a keep-alive agent: a fraction of fetch's CPU per request, which matters when
// the generator shares the machine's two cores with the service it measures.
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
let next = 0;
function exchange(r) {
  return new Promise((resolve, reject) => {
    const headers = { authorization: "Bearer " + token };
    if (r.idempotencyKey) headers["idempotency-key"] = r.idempotencyKey;
    const body = r.body === undefined ? undefined : JSON.stringify(r.body);
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(body);
    }
    const req = http.request(
      { host: target.hostname, port: target.port, path: r.path, method: r.method, headers, agent },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
async function send(i, began) {
    try {
      const res = await exchange(requests[i]);
      answers[i] = { status: res.status, body: res.text ? JSON.parse(res.text) : null, ms: performance.now() - began };
    } catch (error) {
      answers[i] = { status: 0, body: String(error), ms: performance.now() - began };
    }
}
async function lane() {
  while (next < requests.length) await send(next++, performance.now());
}
// Open loop: request i is due at start + i / rate whatever the answers so far; at most
// \`concurrency\` are in flight, and a request held back by that cap is late, which its latency shows.
async function paced(start) {
  let inFlight = 0;
  const pending = [];
  for (let i = 0; i < requests.length; i++) {
    const due = start + (i * 1000) / ratePerSec;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    while (inFlight >= concurrency) await Promise.race(pending.filter(Boolean));
    inFlight++;
    const p = send(i, due).then(() => { inFlight--; pending[i] = undefined; });
    pending[i] = p;
  }
  await Promise.all(pending.filter(Boolean));
}
const began = performance.now();
const done = ratePerSec > 0
  ? paced(began)
  : Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, lane));
done.then(() => {
  parentPort.postMessage({ answers, seconds: (performance.now() - began) / 1000 });
});
`;

/**
 * Sends `requests` to `base` with at most `concurrency` in flight, from a worker thread: as fast as
 * answers come back (closed loop) or, with `ratePerSec`, each at its scheduled time (open loop).
 * Transport errors come back as status 0 with the error text as the body.
 *
 * @throws when the thread itself fails.
 */
export function runHttpLoad(options: {
  base: string;
  token: string;
  requests: readonly LoadRequest[];
  concurrency: number;
  /** Requests per second on a fixed schedule; 0 or absent for a closed loop. */
  ratePerSec?: number;
}): Promise<LoadRun> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(SOURCE, { eval: true, workerData: { ratePerSec: 0, ...options } });
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
