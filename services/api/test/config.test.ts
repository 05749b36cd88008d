import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../shared/src/errors.js";
import { loadConfig } from "../src/config.js";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error;
  }
  assert.fail("expected a ConfigError");
}

describe("configuration", () => {
  it("defaults every setting, with embedded PGlite under DATA_DIR", () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, "127.0.0.1");
    assert.deepEqual(config.database, { kind: "pglite", dataDir: ".data/pglite" });
    assert.equal(config.logLevel, "info");
    assert.equal(config.signerToken, undefined);
    assert.equal(config.bootstrapAdminKeyFile, undefined);
  });

  it("uses PostgreSQL when DATABASE_URL is set and treats empty values as unset", () => {
    const config = loadConfig({
      DATABASE_URL: "postgres://u@db:5432/coldpath",
      PORT: "",
      DATA_DIR: "/var/lib/cp",
    });
    assert.deepEqual(config.database, { kind: "postgres", url: "postgres://u@db:5432/coldpath" });
    assert.equal(config.port, 3000);
  });

  const cases: [string, Record<string, string>, string, RegExp][] = [
    ["a non-numeric PORT", { PORT: "http" }, "PORT", /integer/],
    ["PORT 0", { PORT: "0" }, "PORT", /between 1 and 65535/],
    ["PORT 65536", { PORT: "65536" }, "PORT", /between 1 and 65535/],
    ["a mysql DATABASE_URL", { DATABASE_URL: "mysql://x" }, "DATABASE_URL", /postgres/],
    ["an unknown LOG_LEVEL", { LOG_LEVEL: "loud" }, "LOG_LEVEL", /one of debug/],
    ["a non-URL SIGNER_URL", { SIGNER_URL: "signer:7001" }, "SIGNER_URL", /http/],
    ["an ftp EVM_RPC_URL", { EVM_RPC_URL: "ftp://node" }, "EVM_RPC_URL", /http/],
    ["a short SIGNER_TOKEN", { SIGNER_TOKEN: "short" }, "SIGNER_TOKEN", /32 characters/],
    ["a tiny BODY_LIMIT_BYTES", { BODY_LIMIT_BYTES: "10" }, "BODY_LIMIT_BYTES", /at least 1024/],
  ];
  for (const [what, env, variable, reason] of cases) {
    it(`refuses ${what}, naming ${variable}`, () => {
      const error = configError(env);
      assert.deepEqual(error.variables, [variable]);
      assert.match(error.message, new RegExp(`${variable}: `));
      assert.match(error.message, reason);
    });
  }

  it("names every bad variable at once and never echoes the signer token", () => {
    const error = configError({ PORT: "-1", TEZOS_RPC_URL: "nope", SIGNER_TOKEN: "s3cr3t" });
    assert.deepEqual([...error.variables].sort(), ["PORT", "SIGNER_TOKEN", "TEZOS_RPC_URL"]);
    assert.doesNotMatch(error.message, /s3cr3t/);
  });
});
