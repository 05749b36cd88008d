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

// Plain JavaScript so the thread needs no TypeScript loader. The thread serves one load after
// another on the same keep-alive sockets and with its code already compiled: a fresh thread's
// first requests ran through cold code and opened their connections inside the timed schedule,
// and showed as 30-90 ms answers at the start of a section.
const SOURCE = `
const { parentPort } = require("node:worker_threads");
const http = require("node:http");
// node:http with a keep-alive agent: a fraction of fetch's CPU per request, which matters when
// the generator shares the machine's two cores with the service it measures. Each load caps its
// own requests in flight; the agent only keeps the sockets between loads.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
function exchange(target, token, r) {
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
async function runLoad({ base, token, requests, concurrency, ratePerSec }) {
  const target = new URL(base);
  const answers = new Array(requests.length);
  let next = 0;
  async function send(i, began) {
    try {
      const res = await exchange(target, token, requests[i]);
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
  await (ratePerSec > 0
    ? paced(began)
    : Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, lane)));
  return { answers, seconds: (performance.now() - began) / 1000 };
}
parentPort.on("message", (job) => {
  runLoad({ ratePerSec: 0, ...job }).then((run) => parentPort.postMessage(run));
});
`;

/** What one load is: the requests, where to, and how fast. */
export interface LoadOptions {
  readonly base: string;
  readonly token: string;
  readonly requests: readonly LoadRequest[];
  readonly concurrency: number;
  /** Requests per second on a fixed schedule; 0 or absent for a closed loop. */
  readonly ratePerSec?: number;
}

/** A load generator thread that runs one load at a time, keeping its sockets between loads. */
export interface LoadGenerator {
  /**
   * Sends `requests` to `base` with at most `concurrency` in flight: as fast as answers come back
   * (closed loop) or, with `ratePerSec`, each at its scheduled time (open loop). Transport errors
   * come back as status 0 with the error text as the body.
   *
   * @throws when the thread fails or another load is still running.
   */
  run(options: LoadOptions): Promise<LoadRun>;
  close(): Promise<void>;
}

/** Starts a load generator thread; {@link LoadGenerator.close} ends it. */
export function startLoadGenerator(): LoadGenerator {
  const worker = new Worker(SOURCE, { eval: true });
  let current: { resolve(run: LoadRun): void; reject(error: Error): void } | undefined;
  let failure: Error | undefined;
  const fail = (error: Error): void => {
    failure = error;
    current?.reject(error);
    current = undefined;
  };
  worker.on("message", (run: LoadRun) => {
    current?.resolve(run);
    current = undefined;
  });
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`load generator exited with code ${code}`)));
  return {
    run(options) {
      if (failure) return Promise.reject(failure);
      if (current) return Promise.reject(new Error("load generator: a load is already running"));
      return new Promise<LoadRun>((resolve, reject) => {
        current = { resolve, reject };
        worker.postMessage(options);
      });
    },
    async close() {
      worker.removeAllListeners("exit");
      await worker.terminate();
    },
  };
}

/** One load on a thread of its own, ended afterwards: see {@link LoadGenerator.run}. */
export async function runHttpLoad(options: LoadOptions): Promise<LoadRun> {
  const generator = startLoadGenerator();
  try {
    return await generator.run(options);
  } finally {
    await generator.close();
  }
}
