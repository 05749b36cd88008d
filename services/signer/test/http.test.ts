import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Transaction } from "ethers";
import { startSignerServer } from "../src/http/server.js";
import { SignerClient, SignerClientError } from "../src/client.js";
import { TOKEN, call, startFixtureServer } from "./helpers/server.js";
import { createProxyTx, makeFixture, proxyAbi, unsignedTx } from "./helpers/fixture.js";

describe("HTTP API", () => {
  let s: Awaited<ReturnType<typeof startFixtureServer>>;
  let chainNonce = 0n;
  before(async () => {
    s = await startFixtureServer({ maxBodyBytes: 4096, chainNonce: async () => chainNonce });
  });
  after(() => s.server.close());

  const nonceFile = (): string => readFileSync(join(s.dir, "nonces.jsonl"), "utf8");

  it("refuses to start without a token of at least 32 characters", async () => {
    const f = await makeFixture();
    await assert.rejects(startSignerServer({ core: f.core, apiToken: "", port: 0 }), /apiToken/);
    await assert.rejects(startSignerServer({ core: f.core, apiToken: "x".repeat(31), port: 0 }), /apiToken/);
  });

  it("answers 401 without, or with a wrong, bearer token on every route", async () => {
    for (const [method, path] of [
      ["GET", "/health"],
      ["GET", "/v1/keys"],
      ["POST", "/v1/sign/evm"],
      ["POST", "/v1/sign/tezos"],
      ["GET", "/nope"],
    ]) {
      for (const token of [null, "wrong", TOKEN + "x", TOKEN.slice(0, -1)]) {
        const r = await call(s.server.url, method!, path!, method === "POST" ? "{}" : undefined, token);
        assert.equal(r.status, 401, `${method} ${path} with ${token}`);
        assert.equal(r.json.error?.code, "SIGNER_UNAUTHORIZED");
      }
    }
  });

  it("lists keys and health with the token", async () => {
    const health = await call(s.server.url, "GET", "/health");
    assert.deepEqual(health.json, { status: "ok", backend: "sealed", keys: 2 });
    const keys = await call(s.server.url, "GET", "/v1/keys");
    const list = keys.json["keys"] as { keyId: string; address: string; nextNonce?: string }[];
    assert.deepEqual(
      list.map((k) => k.keyId),
      ["evm-hot", "tezos-hot"],
    );
    assert.equal(list[0]!.address, s.evmAddress);
    assert.equal(list[0]!.nextNonce, "0");
    assert.match(list[1]!.address, /^tz1/);
  });

  it("signs a createProxy through the typed client and recovers the hot address", async () => {
    const client = new SignerClient({ url: s.server.url, token: TOKEN });
    const { signedTx, hash } = await client.signEvm("evm-hot", createProxyTx(s.evmAddress));
    const tx = Transaction.from(signedTx);
    assert.equal(tx.from, s.evmAddress);
    assert.equal(tx.hash, hash);
  });

  describe("bad input gets a clear 4xx and changes nothing", () => {
    const cases: [string, string, string | undefined, number, string, string | undefined][] = [
      ["malformed JSON", "/v1/sign/evm", "{not json", 400, "SIGNER_INVALID_INPUT", "body"],
      ["an empty body", "/v1/sign/evm", "", 400, "SIGNER_INVALID_INPUT", "body"],
      ["a JSON array", "/v1/sign/evm", "[]", 400, "SIGNER_INVALID_INPUT", "body"],
      [
        "an unknown field",
        "/v1/sign/evm",
        JSON.stringify({ keyId: "evm-hot", unsignedTx: "0x02", override: true }),
        400,
        "SIGNER_INVALID_INPUT",
        "override",
      ],
      [
        "a missing field",
        "/v1/sign/evm",
        JSON.stringify({ keyId: "evm-hot" }),
        400,
        "SIGNER_INVALID_INPUT",
        "unsignedTx",
      ],
      [
        "non-hex bytes",
        "/v1/sign/evm",
        JSON.stringify({ keyId: "evm-hot", unsignedTx: "0xzz" }),
        400,
        "SIGNER_INVALID_INPUT",
        "unsignedTx",
      ],
      [
        "a number for keyId",
        "/v1/sign/evm",
        JSON.stringify({ keyId: 1, unsignedTx: "0x02" }),
        400,
        "SIGNER_INVALID_INPUT",
        "keyId",
      ],
      [
        "garbage type-2 bytes",
        "/v1/sign/evm",
        JSON.stringify({ keyId: "evm-hot", unsignedTx: "0x02c0ffee" }),
        400,
        "SIGNER_INVALID_INPUT",
        "unsignedTx",
      ],
      [
        "an unknown key",
        "/v1/sign/evm",
        JSON.stringify({ keyId: "nobody", unsignedTx: "0x02c0" }),
        404,
        "SIGNER_UNKNOWN_KEY",
        "keyId",
      ],
      [
        "a Tezos key for EVM",
        "/v1/sign/evm",
        JSON.stringify({ keyId: "tezos-hot", unsignedTx: "0x02c0" }),
        400,
        "SIGNER_WRONG_KEY_TYPE",
        "keyId",
      ],
      [
        "an EVM key for Tezos",
        "/v1/sign/tezos",
        JSON.stringify({ keyId: "evm-hot", forgedBytes: "00" }),
        400,
        "SIGNER_WRONG_KEY_TYPE",
        "keyId",
      ],
      [
        "garbage Tezos bytes",
        "/v1/sign/tezos",
        JSON.stringify({ keyId: "tezos-hot", forgedBytes: "00ff" }),
        400,
        "SIGNER_INVALID_INPUT",
        "forgedBytes",
      ],
      [
        "an oversized body",
        "/v1/sign/evm",
        JSON.stringify({ keyId: "evm-hot", unsignedTx: "0x" + "00".repeat(4096) }),
        413,
        "SIGNER_BODY_TOO_LARGE",
        undefined,
      ],
      [
        "a negative nonce resync",
        "/v1/evm/nonce",
        JSON.stringify({ keyId: "evm-hot", nonce: "-1" }),
        400,
        "SIGNER_INVALID_INPUT",
        "nonce",
      ],
      [
        "a numeric nonce resync",
        "/v1/evm/nonce",
        JSON.stringify({ keyId: "evm-hot", nonce: 3 }),
        400,
        "SIGNER_INVALID_INPUT",
        "nonce",
      ],
    ];
    for (const [name, path, body, status, code, field] of cases) {
      it(name, async () => {
        const before = nonceFile();
        const r = await call(s.server.url, "POST", path, body);
        assert.equal(r.status, status, JSON.stringify(r.json));
        assert.equal(r.json.error?.code, code);
        assert.equal(r.json.error?.field, field);
        assert.equal(typeof r.json.error?.message, "string");
        assert.equal(nonceFile(), before);
      });
    }

    it("unknown routes and methods are 404", async () => {
      for (const [method, path] of [
        ["GET", "/v1/sign/evm"],
        ["POST", "/v1/keys"],
        ["DELETE", "/v1/keys"],
        ["GET", "/admin"],
      ]) {
        const r = await call(s.server.url, method!, path!, method === "GET" ? undefined : "{}");
        assert.equal(r.status, 404);
        assert.equal(r.json.error?.code, "SIGNER_NOT_FOUND");
      }
    });

    it("a policy refusal is a 403 with its reason, and the server keeps serving", async () => {
      const r = await call(
        s.server.url,
        "POST",
        "/v1/sign/evm",
        JSON.stringify({
          keyId: "evm-hot",
          unsignedTx: unsignedTx({ to: s.evmAddress, nonce: 1, value: 1n }),
        }),
      );
      assert.equal(r.status, 403);
      assert.equal(r.json.error?.code, "SIGNER_POLICY_REFUSED");
      assert.equal(r.json.error?.reason, "EVM_VALUE");
      assert.equal((await call(s.server.url, "GET", "/health")).status, 200);
      assert.ok(s.logs.every((l) => l["status"] !== 500));
    });
  });

  it("never answers 500 to arbitrary bodies on the signing routes (fast-check)", async () => {
    const hex = fc.uint8Array({ maxLength: 120 }).map((b) => "0x" + Buffer.from(b).toString("hex"));
    const body = fc.oneof(
      fc.json(),
      fc.string(),
      fc.record({
        keyId: fc.constantFrom("evm-hot", "tezos-hot", "", "x"),
        unsignedTx: fc.oneof(hex, fc.string()),
      }),
      fc.record({ keyId: fc.constantFrom("evm-hot", "tezos-hot"), forgedBytes: fc.oneof(hex, fc.string()) }),
      hex.map((h) => JSON.stringify({ keyId: "evm-hot", unsignedTx: "0x02" + h.slice(2) })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/v1/sign/evm", "/v1/sign/tezos", "/v1/evm/nonce"),
        body,
        async (path, b) => {
          const r = await call(s.server.url, "POST", path, typeof b === "string" ? b : JSON.stringify(b));
          assert.ok([400, 403, 404, 413].includes(r.status), `${r.status} ${JSON.stringify(r.json)}`);
          assert.equal(typeof r.json.error?.code, "string");
        },
      ),
      { numRuns: 150 },
    );
  });

  it("resyncs the nonce explicitly or from the chain", async () => {
    const client = new SignerClient({ url: s.server.url, token: TOKEN });
    assert.equal((await client.resyncNonce("evm-hot", 7n)).nextNonce, "7");
    chainNonce = 9n;
    assert.equal((await client.resyncNonce("evm-hot")).nextNonce, "9");
    await assert.rejects(
      client.signEvm(
        "evm-hot",
        unsignedTx({ to: s.evmAddress, nonce: 9, data: proxyAbi.encodeFunctionData("lock", [1n]) }),
      ),
      (e: unknown) => e instanceof SignerClientError && e.status === 403 && e.reason === "EVM_UNKNOWN_TARGET",
    );
  });
});
