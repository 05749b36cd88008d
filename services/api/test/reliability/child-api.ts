/**
 * Starts the real API entry point (`services/api/src/main.ts`) as a child process, so tests can
 * SIGKILL it at a chosen moment and start it again on the same database.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freePort } from "../../../shared/test/free-ports.js";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const TSCONFIG = fileURLToPath(new URL("../../../tsconfig.json", import.meta.url));

/**
 * POSTs `body` as JSON to a running API with a bearer key and an idempotency key, asserts a 2xx
 * answer (the message names the route, status and body) and returns the parsed answer.
 */
export async function postJson(
  baseUrl: string,
  route: string,
  body: unknown,
  token: string,
  idempotencyKey: string,
): Promise<{ id: string; operationId: string }> {
  const res = await fetch(baseUrl + route, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "idempotency-key": idempotencyKey,
      "content-type": "application/json",
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.status < 300, `${route}: ${res.status} ${text}`);
  return JSON.parse(text) as { id: string; operationId: string };
}

export interface ChildApi {
  readonly url: string;
  readonly process: ChildProcess;
  /** SIGKILL, then wait until the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), then wait. */
  stop(): Promise<void>;
}

/** Waits until `check` answers true, polling every `everyMs`; throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Spawns the API with `env` (on top of a minimal environment) and waits for `/health`. The
 * child's output goes to `logFile`.
 */
export async function startChildApi(env: Record<string, string>, logFile: string): Promise<ChildApi> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      TSX_TSCONFIG_PATH: TSCONFIG,
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = createWriteStream(logFile, { flags: "a" });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(
    `the API on port ${port} (log ${logFile})`,
    async () => {
      if (gone)
        throw new Error(
          `the API exited at start: ${existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2000) : ""}`,
        );
      try {
        return (await fetch(`${url}/health`)).status === 200;
      } catch {
        return false;
      }
    },
    40_000,
    150,
  );
  return {
    url,
    process: child,
    async kill() {
      if (!gone) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (!gone) child.kill("SIGTERM");
      await exited;
    },
  };
}
