/**
 * The signer's narrow HTTP API (node:http, JSON, 127.0.0.1 by default). Every request carries a
 * bearer token compared in constant time; bodies are size-limited and strictly validated; every
 * error is `{ error: { code, message, field? } }`.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createHash, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import {
  BodyTooLargeError,
  InvalidInputError,
  NotFoundError,
  SignerError,
  UnauthorizedError,
} from "../errors.js";
import type { HotSignerCore } from "../signer.js";

/** Options of {@link startSignerServer}. */
export interface SignerServerOptions {
  readonly core: HotSignerCore;
  readonly apiToken: string;
  readonly host?: string;
  readonly port?: number;
  readonly maxBodyBytes?: number;
  /** Fetches the pending nonce of an address from the chain, when an RPC URL is configured. */
  readonly chainNonce?: (address: string) => Promise<bigint>;
  /** One JSON object per request; defaults to stdout. */
  readonly log?: (entry: Record<string, unknown>) => void;
}

/** A started server. */
export interface RunningSignerServer {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

const hex = z.string().regex(/^0x([0-9a-fA-F]{2})+$/, "expected 0x-prefixed hex bytes");
const keyId = z.string().min(1).max(64);
// The policy authorization is checked by the core's policy gate, which names its bad fields.
const authorization = z.unknown().optional();
const evmBody = z.strictObject({ keyId, unsignedTx: hex, authorization });
/** Most transactions one batch may carry (the body limit usually bounds it first). */
export const MAX_EVM_BATCH = 128;
// Items are strings here and decoded one by one by the core, so a malformed item is refused on
// its own instead of failing the batch.
const evmBatchBody = z.strictObject({
  keyId,
  unsignedTxs: z.array(z.string().max(65536)).min(1).max(MAX_EVM_BATCH),
  authorizations: z.array(z.unknown()).max(MAX_EVM_BATCH).optional(),
});
const tezosBody = z.strictObject({
  keyId,
  forgedBytes: z.string().regex(/^(0x)?([0-9a-fA-F]{2})+$/, "expected hex bytes"),
  authorization,
});
const policyChainBody = z.strictObject({ versions: z.array(z.unknown()).min(1).max(10_000) });
const nonceBody = z.strictObject({
  keyId,
  nonce: z
    .string()
    .regex(/^\d{1,20}$/, "expected a decimal integer string")
    .optional(),
});

function tokenDigest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

function validate<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === "unrecognized_keys")
    throw new InvalidInputError(issue.keys[0]!, issue.keys.join(","), "unknown field");
  const field = issue.path.map(String).join(".") || "body";
  throw new InvalidInputError(
    field,
    issue.code === "invalid_type"
      ? `${issue.input === undefined ? "missing" : typeof issue.input}`
      : "(see message)",
    issue.message,
  );
}

async function readBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") throw new InvalidInputError("body", "empty", "expected a JSON object");
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidInputError("body", text.slice(0, 40), `malformed JSON: ${(err as Error).message}`);
  }
}

/** The public part of a refusal: code, message, the field it names and the policy reason. */
function errorBody(err: SignerError): { code: string; message: string; field?: string; reason?: string } {
  return {
    code: err.code,
    message: err.message,
    ...(err.field !== undefined ? { field: err.field } : {}),
    ...("reason" in err ? { reason: String(err.reason) } : {}),
  };
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...(close ? { connection: "close" } : {}),
  });
  res.end(text);
}

/**
 * Starts the API.
 *
 * @throws {InvalidInputError} naming `apiToken` when the token is shorter than 32 characters.
 * @example const { url, close } = await startSignerServer({ core, apiToken, port: 0 });
 */
export async function startSignerServer(opts: SignerServerOptions): Promise<RunningSignerServer> {
  if (typeof opts.apiToken !== "string" || opts.apiToken.length < 32) {
    throw new InvalidInputError(
      "apiToken",
      "(redacted)",
      "a bearer token of at least 32 characters is required",
    );
  }
  const expected = tokenDigest(opts.apiToken);
  const limit = opts.maxBodyBytes ?? 65536;
  const log = opts.log ?? ((e) => process.stdout.write(JSON.stringify(e) + "\n"));
  const { core } = opts;

  const authorised = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization ?? "";
    const match = /^Bearer (\S+)$/.exec(header);
    // Comparing fixed-length digests keeps the comparison constant-time whatever the input length.
    return match !== null && timingSafeEqual(tokenDigest(match[1]!), expected);
  };

  const route = async (req: IncomingMessage): Promise<[number, unknown]> => {
    const method = req.method ?? "GET";
    const path = (req.url ?? "/").split("?")[0]!;
    if (!authorised(req)) throw new UnauthorizedError();
    if (method === "GET" && path === "/health") {
      return [200, { status: "ok", backend: core.backendKind, keys: (await core.listKeys()).length }];
    }
    if (method === "GET" && path === "/v1/keys") return [200, { keys: await core.listKeys() }];
    if (method === "POST" && path === "/v1/sign/evm") {
      const body = validate(evmBody, await readBody(req, limit));
      const { signedTx, hash, intent } = await core.signEvm(body.keyId, body.unsignedTx, body.authorization);
      return [200, { signedTx, hash, intent }];
    }
    if (method === "POST" && path === "/v1/sign/evm/batch") {
      const body = validate(evmBatchBody, await readBody(req, limit));
      const outcomes = await core.signEvmBatch(body.keyId, body.unsignedTxs, body.authorizations);
      const results = outcomes.map((o) =>
        o.ok
          ? { ok: true, signedTransaction: o.signedTx, hash: o.hash, intent: o.intent }
          : { ok: false, error: { ...errorBody(o.error), status: o.error.status } },
      );
      const refused = results.filter((r) => !r.ok).length;
      if (refused > 0) log({ level: "warn", msg: "batch items refused", keyId: body.keyId, refused });
      return [200, { results }];
    }
    if (method === "POST" && path === "/v1/sign/tezos") {
      const body = validate(tezosBody, await readBody(req, limit));
      return [200, await core.signTezos(body.keyId, body.forgedBytes, body.authorization)];
    }
    if (method === "GET" && path === "/v1/policy") return [200, { active: core.policyStatus }];
    if (method === "POST" && path === "/v1/policy/chain") {
      const body = validate(policyChainBody, await readBody(req, limit));
      return [200, { active: core.acceptPolicyChain(body.versions) }];
    }
    if (method === "POST" && path === "/v1/evm/nonce") {
      const body = validate(nonceBody, await readBody(req, limit));
      let nonce: bigint;
      if (body.nonce !== undefined) nonce = BigInt(body.nonce);
      else if (opts.chainNonce !== undefined) {
        const key = (await core.listKeys()).find((k) => k.keyId === body.keyId);
        if (key === undefined || key.curve !== "secp256k1")
          throw new InvalidInputError("keyId", body.keyId, "not an EVM key");
        nonce = await opts.chainNonce(key.address);
      } else
        throw new InvalidInputError(
          "nonce",
          "missing",
          "no SIGNER_EVM_RPC_URL configured: give the nonce explicitly",
        );
      return [200, { key: await core.resyncNonce(body.keyId, nonce) }];
    }
    throw new NotFoundError(method, path);
  };

  const server = createServer((req, res) => {
    const started = performance.now();
    route(req)
      .then(([status, body]) => {
        send(res, status, body);
        return status;
      })
      .catch((err: unknown) => {
        if (err instanceof SignerError && err.status < 500) {
          // After a 413 the rest of the body is not read: close the connection instead.
          send(res, err.status, { error: errorBody(err) }, err instanceof BodyTooLargeError);
          return err.status;
        }
        const code = err instanceof SignerError ? err.code : "SIGNER_INTERNAL";
        log({ level: "error", code, message: err instanceof Error ? err.message : String(err) });
        send(res, 500, { error: { code, message: "internal signer error" } });
        return 500;
      })
      .then((status) => {
        log({
          time: new Date().toISOString(),
          method: req.method,
          path: req.url,
          status,
          ms: Math.round(performance.now() - started),
        });
      })
      .catch(() => undefined);
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 7001, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${address}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
