/** Starts the HTTP API over a fixture core on a free port. */
import { startSignerServer } from "../../src/http/server.js";
import type { RunningSignerServer } from "../../src/http/server.js";
import { makeFixture } from "./fixture.js";
import type { Fixture } from "./fixture.js";

export const TOKEN = "test-token-" + "x".repeat(40);

export async function startFixtureServer(
  opts: { maxBodyBytes?: number; chainNonce?: (a: string) => Promise<bigint> } = {},
): Promise<Fixture & { server: RunningSignerServer; logs: Record<string, unknown>[] }> {
  const f = await makeFixture();
  const logs: Record<string, unknown>[] = [];
  const server = await startSignerServer({
    core: f.core,
    apiToken: TOKEN,
    port: 0,
    log: (e) => logs.push(e),
    ...(opts.maxBodyBytes !== undefined ? { maxBodyBytes: opts.maxBodyBytes } : {}),
    ...(opts.chainNonce !== undefined ? { chainNonce: opts.chainNonce } : {}),
  });
  return { ...f, server, logs };
}

/** Raw request helper returning status and parsed JSON. */
export async function call(
  url: string,
  method: string,
  path: string,
  body?: string,
  token: string | null = TOKEN,
): Promise<{
  status: number;
  json: { error?: { code: string; message: string; field?: string; reason?: string } } & Record<
    string,
    unknown
  >;
}> {
  const res = await fetch(url + path, {
    method,
    headers: {
      ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
      "content-type": "application/json",
    },
    ...(body !== undefined ? { body } : {}),
  });
  return { status: res.status, json: (await res.json()) as never };
}
