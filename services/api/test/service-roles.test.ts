/**
 * SERVICE_ROLES (decision 0973): the HTTP API and the background work can run as separate
 * processes on one PostgreSQL. A `workers`-only entry point opens no port and stops cleanly on
 * SIGTERM; an intent accepted by an `http`-only app stays `queued` until a `workers` app drains it.
 */
import { spawn } from "node:child_process";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Wallet } from "ethers";
import { sql } from "drizzle-orm";
import type { NestFastifyApplication } from "@nestjs/platform-fastify";
import { openDatabase, rowsOf, type Database } from "../../db/src/database.js";
import { ApiKeysRepository } from "../../db/src/repositories.js";
import { postgresSkipReason, startPostgres, type TestPostgres } from "../../db/test/postgres.js";
import { ConfigError } from "../../shared/src/errors.js";
import { openApp } from "../src/app.js";
import { issueApiKey } from "../src/auth/api-key-tokens.js";
import { loadConfig } from "../src/config.js";
import { JsonLogger } from "../src/logger.js";
import { VALID_TZ1 } from "./helpers.js";
import { freePort } from "../../shared/test/free-ports.js";
import { waitFor } from "./reliability/child-api.js";
import { startEvmRig, type EvmRig } from "./reliability/evm-rig.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const TSCONFIG = fileURLToPath(new URL("../../tsconfig.json", import.meta.url));
const PG = "postgres://u@db:5432/coldpath";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error;
  }
  assert.fail("expected a ConfigError");
}

describe("SERVICE_ROLES configuration", () => {
  it("defaults to every role and treats an empty value as unset", () => {
    assert.deepEqual([...loadConfig({}).roles], ["http", "workers", "indexer"]);
    assert.deepEqual([...loadConfig({ SERVICE_ROLES: "" }).roles], ["http", "workers", "indexer"]);
  });

  it("accepts any subset on PostgreSQL, with spaces around the commas", () => {
    assert.deepEqual([...loadConfig({ DATABASE_URL: PG, SERVICE_ROLES: "http" }).roles], ["http"]);
    const background = loadConfig({ DATABASE_URL: PG, SERVICE_ROLES: "workers , indexer" });
    assert.deepEqual([...background.roles], ["workers", "indexer"]);
  });

  for (const [what, value] of [
    ["an unknown role", "http,mailer"],
    ["only commas", ","],
    ["a misspelt role", "worker"],
  ] as const) {
    it(`refuses ${what}, naming the variable and the allowed values`, () => {
      const error = configError({ DATABASE_URL: PG, SERVICE_ROLES: value });
      assert.equal(error.code, "invalid_config");
      assert.deepEqual([...new Set(error.variables)], ["SERVICE_ROLES"]);
      assert.match(error.message, /SERVICE_ROLES: .*http, workers, indexer/);
    });
  }

  it("refuses splitting the API from its workers on single-process PGlite", () => {
    for (const value of ["http", "workers", "workers,indexer", "indexer"]) {
      const error = configError({ DATA_DIR: "memory://", SERVICE_ROLES: value });
      assert.deepEqual(error.variables, ["SERVICE_ROLES"]);
      assert.match(error.message, /PGlite/);
    }
    assert.deepEqual([...loadConfig({ SERVICE_ROLES: "http,workers" }).roles], ["http", "workers"]);
  });
});

const skip = postgresSkipReason();

describe("API and workers as separate processes (PostgreSQL)", { skip }, () => {
  let rig: EvmRig;
  let pg: TestPostgres;
  let database: Database;
  let admin: string;
  let operator: string;
  const opened: { app: NestFastifyApplication; database: Database }[] = [];

  before(async () => {
    [rig, pg] = await Promise.all([startEvmRig(), startPostgres()]);
    database = await openDatabase({ kind: "postgres", url: pg.url });
    const keys = new ApiKeysRepository();
    const a = issueApiKey("admin", "admin", new Date());
    const o = issueApiKey("operator", "operator", new Date());
    await keys.insert(database.db, a.row);
    await keys.insert(database.db, o.row);
    admin = a.token;
    operator = o.token;
  });

  after(async () => {
    for (const { app, database: db } of opened) {
      await app.close();
      await db.close();
    }
    await database?.close();
    await pg?.stop();
    await rig?.close();
  });

  it("a workers-only entry point opens no port and exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        TSX_TSCONFIG_PATH: TSCONFIG,
        ...rig.env,
        DATABASE_URL: pg.url,
        POLICY_ENFORCEMENT: "off",
        HOST: "127.0.0.1",
        PORT: String(port),
        SERVICE_ROLES: "workers",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await waitFor(
        "the workers-only process to start",
        () => {
          if (child.exitCode !== null) throw new Error(`exited at start: ${out}`);
          return out.includes('"running without HTTP"');
        },
        40_000,
      );
      const line = JSON.parse(out.split("\n").find((l) => l.includes('"running without HTTP"'))!) as {
        roles: string[];
      };
      assert.deepEqual(line.roles, ["workers"]);
      assert.doesNotMatch(out, /"listening"/);
      const refused = await new Promise<string>((resolve) => {
        const socket = connect(port, "127.0.0.1");
        socket.once("connect", () => {
          socket.destroy();
          resolve("connected");
        });
        socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
      });
      assert.equal(refused, "ECONNREFUSED");
    } finally {
      if (child.exitCode === null) child.kill("SIGTERM");
    }
    assert.equal(await exited, 0, out);
    assert.match(out, /"shutting down"/);
  });

  it("an http-only app accepts an intent that stays queued until a workers app drains it", async () => {
    // openApp reads the chain, signer and policy settings from the environment, as main.ts does.
    Object.assign(process.env, rig.env, { POLICY_ENFORCEMENT: "off", INDEXER: "off" });
    const open = async (roles: string) => {
      const config = loadConfig({ ...rig.env, DATABASE_URL: pg.url, SERVICE_ROLES: roles });
      const one = await openApp(config, new JsonLogger("silent", () => {}));
      opened.push(one);
      return one.app;
    };
    const api = await open("http");
    await api.listen({ port: 0, host: "127.0.0.1" });
    const base = `http://127.0.0.1:${(api.getHttpServer().address() as AddressInfo).port}`;
    const post = async (route: string, token: string, body: unknown, key: string) => {
      const res = await fetch(base + route, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "idempotency-key": key,
          "content-type": "application/json",
        },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      assert.ok(res.status < 300, `${route}: ${res.status} ${text}`);
      return JSON.parse(text) as { id: string; operationId: string };
    };
    const customer = await post(
      "/v1/customers",
      admin,
      { name: "Roles", evmColdAddress: Wallet.createRandom().address, tezosColdAddress: VALID_TZ1 },
      "roles-customer",
    );
    const { operationId } = await post(
      `/v1/customers/${customer.id}/governance/proxy`,
      operator,
      {},
      "roles-proxy",
    );
    const status = async () =>
      rowsOf<{ status: string; failure_reason: string | null }>(
        await database.db.execute(
          sql`select status, failure_reason from operations where id = ${operationId}`,
        ),
      )[0]!;

    // Several worker intervals (200 ms) pass: with no workers role nothing picks it up.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await status()).status, "queued");

    await open("workers");
    await waitFor(
      "the workers app to confirm the intent",
      async () => {
        const row = await status();
        assert.notEqual(row.status, "failed", row.failure_reason ?? "");
        return row.status === "confirmed";
      },
      30_000,
      100,
    );
  });
});
