/**
 * Service benchmark: vote intents submitted over HTTP to the custody API until confirmed on the
 * embedded chain (Hardhat's EVM in its own process, a block per second during the timed sections,
 * served over HTTP JSON-RPC), once with the
 * API on a throwaway PostgreSQL cluster and once on PGlite, against the real hot signer (sealed
 * key, own HTTP server) and the real outbox worker. On PostgreSQL the worker runs as production
 * runs it (decision 0973): its own process (`services/api/src/main.ts`, SERVICE_ROLES=workers) on
 * the same database, the API in this one without a worker; PGlite is single-process, so there the
 * worker shares the API's event loop. The baseline, measured in the same run, is an ethers Wallet
 * signature of a comparable EIP-1559 transaction plus one database insert. After the 200/s section,
 * as many votes again are accepted with no worker running and then drained, for the signing
 * throughput (decision 0975). The worker, signer and chain processes run at a lower CPU priority
 * than the API (the API answers clients; the background work waits for nobody).
 *
 * Run: `npx tsx --tsconfig services/tsconfig.json bench/service.ts` (writes bench/results/service.json).
 * Knobs (environment): BENCH_CUSTOMERS (12), BENCH_VOTES (2000), BENCH_RATE (210 intents/s on a
 * fixed schedule, 5% above the issue's 200; 0 for a closed loop), BENCH_CONCURRENCY (64 at a fixed
 * rate, a cap on requests in flight; 8 in a closed loop),
 * BENCH_CONFIRM_TIMEOUT_S (120), BENCH_ENGINES ("postgres,pglite"), BENCH_WORKER_DURING (1; 0 starts
 * the worker only after the last intent is accepted, to separate the HTTP path from the worker),
 * BENCH_CPU_PROFILE_DIR (unset; a folder for a .cpuprofile of the accepted section),
 * BENCH_WORKER_PROCESS (1; 0 runs the PostgreSQL worker in the API's process too, for comparison),
 * BENCH_BLOCK_MS (1000; the chain's block time in the timed sections, 0 for a block per
 * transaction), BENCH_BACKGROUND_NICE (19; bench/lib/background-priority.ts),
 * BENCH_CHILD_CPU_PROFILE_DIR (unset; bench/lib/child-profile.ts), BENCH_WARMUP_VOTES (400; votes
 * offered at the same rate before the timed section and confirmed before it starts, 0 for none),
 * BENCH_LATENCIES_FILE (unset; a JSON file for the timed section's latencies in the order offered).
 */
import { childProfileArgs } from "./lib/child-profile.js";
import { BACKGROUND_NICE, WORKER_NICE, asBackground } from "./lib/background-priority.js";
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpus, loadavg, totalmem } from "node:os";
import { Interface, Transaction, Wallet, getAddress, parseEther } from "ethers";
import { sql } from "drizzle-orm";
import pg from "pg";
import type { NestFastifyApplication } from "@nestjs/platform-fastify";
import { openDatabase, rowsOf, type Database } from "../services/db/src/database.js";
import { ApiKeysRepository } from "../services/db/src/repositories.js";
import { startPostgres } from "../services/db/test/postgres.js";
import { ENGINES, type EngineTarget } from "../services/db/test/targets.js";
import { SignerClient } from "../services/signer/src/client.js";
import { secp256k1Engine } from "../services/signer/src/keys/libsecp256k1.js";
import { tempDir } from "../services/signer/test/helpers/fixture.js";
import { createApp } from "../services/api/src/app.js";
import { issueApiKey } from "../services/api/src/auth/api-key-tokens.js";
import { EthersEvmChain } from "../services/api/src/chains/ethers-evm-chain.js";
import { loadConfig } from "../services/api/src/config.js";
import { CONTRACT_ERRORS } from "../services/api/src/governance/abi.js";
import type { GovernanceRuntime } from "../services/api/src/governance/settings.js";
import { HttpMetrics } from "../services/api/src/http/metrics.js";
import { JsonLogger } from "../services/api/src/logger.js";
import { OutboxWorker } from "../services/api/src/outbox/outbox.worker.js";
import { VALID_TZ1 } from "../services/api/test/helpers.js";
import { startEvmNode } from "./lib/evm-node.js";
import { startSignerProcess } from "./lib/signer-process.js";
import { startLoadGenerator, type LoadGenerator, type LoadRequest } from "./lib/http-load.js";
import { mainThreadCpuMs } from "./lib/thread-cpu.js";
import { watchGcPauses, type GcPauses } from "./lib/gc-pauses.js";
import { writeResult } from "./lib/results.js";
import { quantile, round, timed, type MethodTimes } from "./lib/timed.js";

function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name}: expected an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return value;
}

const CUSTOMERS = intEnv("BENCH_CUSTOMERS", 12, 1, 200);
/**
 * Votes in the timed section, and again in the signing-capacity backlog: 2000 at 210/s is about
 * ten seconds, so the figures describe the steady state more than the first second after the
 * warm-up (decision 1048).
 */
const VOTES = intEnv("BENCH_VOTES", 2000, 1, 100_000);
/**
 * Arrival rate. The target reads "200 vote intents per second accepted with p99 under 50 ms": intents
 * arrive at a fixed rate whatever the answers so far (an open loop), and each latency counts from
 * the intent's scheduled time, so a slow service is not hidden by clients that wait for it. The
 * default offers 210/s: offered at exactly 200/s, the accepted rate (counted from the first POST to
 * the last answer, so one latency longer than the schedule) reads just under 200 for a service
 * that kept up, and p99 is then measured under more than the target load (decision 1048).
 */
const RATE = intEnv("BENCH_RATE", 210, 0, 10_000);
/**
 * Requests in flight: a cap at a fixed rate; the whole load in a closed loop, where by Little's law
 * p99 < 50 ms at 200/s leaves room for about 8-10 at once.
 */
const CONCURRENCY = intEnv("BENCH_CONCURRENCY", RATE > 0 ? 64 : 8, 1, 512);
/** 0 holds the worker back until every intent is accepted (diagnostic: isolates the HTTP path). */
const WORKER_DURING = intEnv("BENCH_WORKER_DURING", 1, 0, 1) === 1;
/** 0 keeps the PostgreSQL worker on the API's event loop (diagnostic: the topology before 0973). */
const WORKER_PROCESS = intEnv("BENCH_WORKER_PROCESS", 1, 0, 1) === 1;
/** A folder to write a V8 CPU profile of the main thread during the accepted section to (diagnostic). */
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE_DIR ?? "";
const CONFIRM_TIMEOUT_MS = intEnv("BENCH_CONFIRM_TIMEOUT_S", 120, 1, 3600) * 1000;
/**
 * Block time of the chain during the timed section (setup runs with a block per transaction):
 * a chain mines blocks on a clock, not one per transaction (decision 0975); 0 keeps automine.
 */
const BLOCK_MS = intEnv("BENCH_BLOCK_MS", 1000, 0, 60_000);
/**
 * Votes offered before the timed section, at its rate, with the worker running, and confirmed
 * before it starts: the first hundred answers of a fresh process wait for V8 to compile the vote
 * path, and PostgreSQL to plan its statements (50-110 ms each in the run that showed it). The
 * timed section measures the service in its steady state, as a client of a running service sees
 * it; the warm-up's own figures are reported beside it, not hidden (decision 1041).
 */
const WARMUP_VOTES = intEnv("BENCH_WARMUP_VOTES", 400, 0, 100_000);
/** A file to write the timed section's latencies to, in the order offered (diagnostic). */
const LATENCIES_FILE = process.env.BENCH_LATENCIES_FILE ?? "";
const RAW_SECONDS = 3;
const RAW_MAX = 5000;
/** The interval `openApp` polls the outbox with (its default), so the worker runs as in production. */
const WORKER_INTERVAL_MS = 200;

const LOAD_AT_START = loadavg().map((v) => round(v, 2));

const CANDIDATE_SETS: readonly (readonly string[])[] = [
  [getAddress("0x" + "c4".repeat(20)), getAddress("0x" + "1b".repeat(20))],
  [getAddress("0x" + "7e".repeat(20))],
];
const HOT_KEY_ID = "evm-hot";
const MAX_FEE = 100_000_000_000n;
const MAX_TIP = 2_000_000_000n;

interface HttpAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly ms: number;
}

/** One POST or GET over real HTTP (fetch keeps connections alive), timed until the body is read. */
async function http(
  base: string,
  method: "GET" | "POST",
  path: string,
  token: string,
  body?: unknown,
  idempotencyKey?: string,
): Promise<HttpAnswer> {
  const began = performance.now();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as unknown) : null,
    ms: performance.now() - began,
  };
}

function expectStatus(answer: HttpAnswer, status: number, what: string): Record<string, unknown> {
  if (answer.status !== status) {
    throw new Error(`${what}: expected HTTP ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return answer.body as Record<string, unknown>;
}

/** Counts operations of `kind` by status. */
async function statusCounts(database: Database, kind: string): Promise<Record<string, number>> {
  const rows = rowsOf<{ status: string; n: number }>(
    await database.db.execute(
      sql`select status, count(*)::int as n from operations where kind = ${kind} group by status`,
    ),
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/**
 * Polls, from now on, for the moment every one of `expected` operations of `kind` has been signed by
 * the hot signer (status signed, broadcast, confirmed, or failed after signing). Answers that moment
 * (performance.now()), or null if `stop` came first.
 */
function trackSigned(
  database: Database,
  kind: string,
  expected: () => number,
): { signedAt: Promise<number | null>; stop(): void } {
  let stopped = false;
  const signedAt = (async () => {
    while (!stopped) {
      const rows = rowsOf<{ n: number }>(
        await database.db.execute(
          sql`select count(*)::int as n from operations
              where kind = ${kind} and (status in ('signed', 'broadcast', 'confirmed') or tx_hash is not null)`,
        ),
      );
      if (Number(rows[0]?.n ?? 0) >= expected()) return performance.now();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return null;
  })();
  return { signedAt, stop: () => void (stopped = true) };
}

/** Waits until no operation of `kind` is unfinished; answers the final counts (throws on timeout). */
async function waitSettled(
  database: Database,
  kind: string,
  expected: number,
  timeoutMs: number,
): Promise<{ counts: Record<string, number>; settledAt: number; timedOut: boolean }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const counts = await statusCounts(database, kind);
    const done = (counts.confirmed ?? 0) + (counts.failed ?? 0);
    if (done >= expected) return { counts, settledAt: performance.now(), timedOut: false };
    if (performance.now() > deadline) return { counts, settledAt: performance.now(), timedOut: true };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * `count` vote POSTs spread over `customers` in turn, alternating the candidate sets (starting
 * `setOffset` sets in), each under the Idempotency-Key `<keyPrefix>-<i>`.
 */
function voteRequests(
  customers: readonly { id: string }[],
  count: number,
  keyPrefix: string,
  setOffset = 0,
): LoadRequest[] {
  return Array.from({ length: count }, (_, i) => ({
    method: "POST" as const,
    path: `/v1/customers/${customers[i % customers.length]!.id}/governance/vote`,
    body: { candidates: CANDIDATE_SETS[(i + setOffset) % CANDIDATE_SETS.length] },
    idempotencyKey: `${keyPrefix}-${i}`,
  }));
}

/** What {@link warmUp} reports: its own latencies, for the record, and how long it took to settle. */
interface Warmup {
  readonly votes: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  readonly settleSeconds: number;
}

/**
 * WARMUP_VOTES votes at the timed section's rate, with the worker running, then waits until every
 * vote so far is confirmed, so the timed section starts warm and with an empty outbox.
 *
 * @throws when a warm-up vote is not accepted or not confirmed.
 */
async function warmUp(
  database: Database,
  loads: LoadGenerator,
  base: string,
  token: string,
  customers: readonly { id: string }[],
): Promise<Warmup> {
  const began = performance.now();
  if (WARMUP_VOTES === 0) return { votes: 0, p50Ms: null, p99Ms: null, maxMs: null, settleSeconds: 0 };
  const load = await loads.run({
    base,
    token,
    concurrency: CONCURRENCY,
    ratePerSec: RATE,
    requests: voteRequests(customers, WARMUP_VOTES, "warmup-vote"),
  });
  const refused = load.answers.filter((a) => a.status !== 202);
  if (refused.length > 0)
    throw new Error(`warm-up: ${refused.length} votes not accepted; first: ${JSON.stringify(refused[0])}`);
  const settled = await waitSettled(database, "governance.vote", WARMUP_VOTES, CONFIRM_TIMEOUT_MS);
  if (settled.timedOut || (settled.counts.confirmed ?? 0) !== WARMUP_VOTES)
    throw new Error(`warm-up: votes did not all confirm: ${JSON.stringify(settled.counts)}`);
  const ms = load.answers.map((a) => a.ms);
  return {
    votes: WARMUP_VOTES,
    p50Ms: ms.length > 0 ? round(quantile(ms, 0.5), 2) : null,
    p99Ms: ms.length > 0 ? round(quantile(ms, 0.99), 2) : null,
    maxMs: ms.length > 0 ? round(Math.max(...ms), 2) : null,
    settleSeconds: round((settled.settledAt - began) / 1000, 2),
  };
}

/** What {@link measureSigningCapacity} reports. */
interface SigningCapacity {
  readonly votes: number;
  readonly firstRunVotes: number;
  readonly seconds: number;
  readonly votesPerSec: number;
  readonly confirmed: number;
  /** Each run's commit as [ms after the first run's, votes signed]: where a slow drain lost time. */
  readonly runs: readonly (readonly [number, number])[];
}

/**
 * Signing throughput, which an arrival rate cannot show (the signed rate of the timed section is at
 * most the 200/s the votes arrive at; decision 0975): VOTES more votes are accepted over HTTP while
 * no worker runs, then the worker is started and drains them. The rate counts the votes signed
 * after its first run, over the time from that run's commit to the last run's commit (the
 * `signed_at` every run's attempts share), so neither the worker's start-up nor the accepting
 * is in it.
 */
async function measureSigningCapacity(
  database: Database,
  loads: LoadGenerator,
  base: string,
  token: string,
  customers: readonly { id: string }[],
  worker: WorkerHandle,
): Promise<SigningCapacity> {
  await worker.stop();
  const load = await loads.run({
    base,
    token,
    concurrency: 8,
    ratePerSec: 0,
    requests: voteRequests(customers, VOTES, "backlog-vote", 1),
  });
  const ids = load.answers
    .filter((a) => a.status === 202)
    .map((a) => String((a.body as { operationId: string }).operationId));
  if (ids.length !== VOTES) throw new Error(`capacity: ${VOTES - ids.length} backlog votes not accepted`);
  await worker.start();
  const all = await statusCounts(database, "governance.vote");
  const settled = await waitSettled(
    database,
    "governance.vote",
    Object.values(all).reduce((a, b) => a + b, 0),
    CONFIRM_TIMEOUT_MS,
  );
  if (settled.timedOut)
    throw new Error(`capacity: the backlog did not settle: ${JSON.stringify(settled.counts)}`);
  const signedAt = rowsOf<{ at: string; n: number }>(
    await database.db.execute(sql`
      select extract(epoch from a.signed_at) * 1000 as at, count(*)::int as n
      from evm_attempts a join operations o on o.id = a.operation_id
      where a.attempt = 1 and o.idempotency_key like 'backlog-vote-%'
      group by a.signed_at order by a.signed_at`),
  ).map((r) => ({ at: Number(r.at), n: r.n }));
  const votes = signedAt.reduce((a, r) => a + r.n, 0);
  const first = signedAt[0]!;
  const seconds = (signedAt[signedAt.length - 1]!.at - first.at) / 1000;
  const confirmed = rowsOf<{ n: number }>(
    await database.db.execute(sql`
      select count(*)::int as n from operations
      where idempotency_key like 'backlog-vote-%' and status = 'confirmed'`),
  )[0]!.n;
  return {
    votes,
    firstRunVotes: first.n,
    seconds: round(seconds, 2),
    votesPerSec: seconds > 0 ? round((votes - first.n) / seconds, 1) : 0,
    confirmed,
    runs: signedAt.map((r) => [Math.round(r.at - first.at), r.n] as const),
  };
}

/** Waits until every setup operation of `kind` is confirmed; throws with the failure reasons. */
async function settleSetup(database: Database, kind: string): Promise<void> {
  const settled = await waitSettled(database, kind, CUSTOMERS, 120_000);
  if (!settled.timedOut && (settled.counts.confirmed ?? 0) === CUSTOMERS) return;
  const reasons = rowsOf<{ failure_reason: string | null }>(
    await database.db.execute(
      sql`select distinct failure_reason from operations where kind = ${kind} and status = 'failed' limit 3`,
    ),
  ).map((r) => r.failure_reason);
  throw new Error(
    `setup: ${kind} did not all confirm: ${JSON.stringify(settled.counts)}, failures: ${JSON.stringify(reasons)}`,
  );
}

/** Starts the V8 sampling profiler on this thread; `stop` writes `<dir>/service-<label>.cpuprofile`. */
async function startProfile(): Promise<{ stop(label: string): Promise<string> }> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    async stop(label) {
      const { profile } = await session.post("Profiler.stop");
      session.disconnect();
      mkdirSync(PROFILE_DIR, { recursive: true });
      const file = join(PROFILE_DIR, `service-${label}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}

/**
 * Counts PostgreSQL queries (node-postgres `Client#query` calls, each one round trip; `BEGIN` and
 * `COMMIT` included) so the report can say how many the service makes per intent.
 */
const pgQueries = { count: 0 };
const pgQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
  pgQueries.count++;
  return (pgQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pgQuery;

/** Where the outbox worker runs relative to the API, per engine. */
type Topology = "worker-process" | "single-process";

/** The outbox worker, whichever process it runs in; `start` resolves once it is polling. */
interface WorkerHandle {
  start(): Promise<void>;
  stop(): Promise<void>;
}

const API_MAIN = fileURLToPath(new URL("../services/api/src/main.ts", import.meta.url));
const SERVICES_TSCONFIG = fileURLToPath(new URL("../services/tsconfig.json", import.meta.url));

/**
 * The outbox workers as their own process, started as an operator would: the API's entry point
 * with SERVICE_ROLES=workers and `env` (database, chain, signer). Resolves once it logs that it
 * runs without HTTP; its per-operation log lines are read and dropped.
 *
 * @throws when the process exits before it is running (its output is in the message).
 */
function startWorkerProcess(env: Record<string, string>): Promise<{ stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...childProfileArgs("worker"), "--import", "tsx", API_MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      TSX_TSCONFIG_PATH: SERVICES_TSCONFIG,
      LOG_LEVEL: "info",
      ...env,
      SERVICE_ROLES: "workers",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  asBackground(child.pid, WORKER_NICE);
  let output = "";
  const keep = (c: Buffer): void => {
    output = (output + c.toString()).slice(-4000);
  };
  child.stderr.on("data", keep);
  return new Promise((resolve, reject) => {
    let ready = false;
    const onExit = (code: number | null): void =>
      reject(new Error(`worker process exited ${code}: ${output}`));
    child.once("exit", onExit);
    child.stdout.on("data", (c: Buffer) => {
      keep(c);
      if (ready || !output.includes('"running without HTTP"')) return;
      ready = true;
      child.off("exit", onExit);
      resolve({
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      });
    });
  });
}

/** Opens a fresh migrated database for `engine`; for PostgreSQL also its URL, for the worker process. */
async function openEngine(
  engine: EngineTarget,
): Promise<{ database: Database; dispose(): Promise<void>; url: string | null }> {
  if (engine.name !== "postgres") return { ...(await engine.open()), url: null };
  const server = await startPostgres();
  try {
    const database = await openDatabase({ kind: "postgres", url: server.url });
    return {
      database,
      url: server.url,
      async dispose() {
        await database.close();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

const proxyInterface = new Interface(["function vote(address[] yays) returns (bytes32)"]);

/**
 * The baseline: sign a comparable EIP-1559 vote transaction with an ethers Wallet, then insert it
 * into the same database, one after the other, for RAW_SECONDS (or RAW_MAX rounds).
 */
async function rawSignInsert(
  database: Database,
  to: string,
): Promise<{ perSec: number; signOnlyPerSec: number; rounds: number }> {
  await database.db.execute(
    sql`create table if not exists bench_raw_sign (id uuid primary key, raw_tx text not null, at timestamptz not null)`,
  );
  const wallet = Wallet.createRandom();
  const tx = (nonce: number): Transaction =>
    Transaction.from({
      type: 2,
      chainId: 31337n,
      nonce,
      to,
      data: proxyInterface.encodeFunctionData("vote", [CANDIDATE_SETS[nonce % 2]]),
      value: 0n,
      gasLimit: 300_000n,
      maxFeePerGas: MAX_FEE,
      maxPriorityFeePerGas: MAX_TIP,
      accessList: [],
    });
  const began = performance.now();
  let rounds = 0;
  let signMs = 0;
  while (rounds < RAW_MAX && performance.now() - began < RAW_SECONDS * 1000) {
    const s = performance.now();
    const raw = await wallet.signTransaction(tx(rounds));
    signMs += performance.now() - s;
    await database.db.execute(
      sql`insert into bench_raw_sign (id, raw_tx, at) values (${randomUUID()}, ${raw}, ${new Date().toISOString()}::timestamptz)`,
    );
    rounds++;
  }
  const seconds = (performance.now() - began) / 1000;
  return { perSec: rounds / seconds, signOnlyPerSec: rounds / (signMs / 1000), rounds };
}

interface EngineResult {
  readonly engine: string;
  /**
   * `worker-process`: the outbox worker in its own process (SERVICE_ROLES=workers) on the same
   * database, the API alone on this process's main thread. `single-process`: both on it.
   */
  readonly topology: Topology;
  readonly setupSeconds: number;
  readonly accepted: {
    readonly votes: number;
    readonly non202: number;
    readonly seconds: number;
    readonly votesPerSec: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
    readonly workerRunning: boolean;
    /**
     * Of the API process (the load generator is on its own thread); includes the outbox worker
     * only in the single-process topology.
     */
    readonly eventLoopUtilization: number;
    /** Garbage-collection pauses of the API's thread during the section (bench/lib/gc-pauses.ts). */
    readonly gcPauses: GcPauses;
    /** How late the API's event loop ran its timers (10 ms resolution): a stalled loop shows here. */
    readonly eventLoopDelayMs: { readonly p99: number; readonly max: number };
    /** Of the whole benchmark process: the API's main thread plus the load generator's thread. */
    readonly processCpuPercentOfOneCore: number;
    /**
     * CPU time of the API's main thread per intent (Linux /proc, 10 ms ticks): the API's cost,
     * much less sensitive to other work on the machine than the rates are. Includes the worker's
     * share when it runs during the section in the single-process topology.
     */
    readonly apiMainThreadCpuMsPerIntent: number | null;
    /** Only measurable without the worker running at the same time. */
    readonly postgresQueriesPerIntent: number | null;
  };
  /** Throughput of the worker draining a backlog of votes (the issue's signed throughput). */
  readonly signingCapacity: SigningCapacity;
  /** The votes before the timed section (not in its figures). */
  readonly warmup: Warmup;
  /** When the hot signer had signed every accepted vote (null if it never did before settling). */
  readonly signed: {
    readonly votes: number | null;
    readonly secondsFromFirstPost: number | null;
    readonly votesPerSec: number | null;
  };
  readonly confirmed: {
    readonly confirmed: number;
    readonly failed: number;
    readonly timedOut: boolean;
    /** From the first POST to the last confirmation. */
    readonly secondsFromFirstPost: number;
    readonly votesPerSec: number;
    /** From the last 202 to the last confirmation: the backlog the worker still had. */
    readonly drainSecondsAfterLastAccept: number;
    readonly distinctTxHashesSampled: number;
    readonly sampledViaHttp: number;
    readonly hotNonceAdvance: number;
    /**
     * API plus worker queries (and the benchmark's own status polling) per vote; null when the
     * worker runs in its own process, where this process cannot count its queries.
     */
    readonly postgresQueriesPerVoteEndToEnd: number | null;
  };
  /**
   * Wall time the worker spent in each chain/signer call during the timed section; only measurable
   * (non-empty) in the single-process topology.
   */
  readonly workerProfile: Record<string, { calls: number; totalMs: number; meanMs: number }>;
  readonly raw: { perSec: number; signOnlyPerSec: number; rounds: number };
}

async function runEngine(engine: EngineTarget): Promise<EngineResult> {
  const setupBegan = performance.now();
  // The chain and the signer run in their own processes, as in production; the API runs in this
  // one, with its outbox worker only on PGlite (see the topology below).
  const evm = await startEvmNode();
  const { factory, implementation } = evm;
  const signerToken = randomBytes(32).toString("hex");
  const signer = await startSignerProcess({
    SIGNER_API_TOKEN: signerToken,
    SIGNER_PORT: "0",
    SIGNER_DATA_DIR: tempDir("coldpath-bench-signer-"),
    SIGNER_SEALED_PASSPHRASE: "service benchmark passphrase, throwaway",
    SIGNER_EVM_FACTORIES: `${factory}:${implementation}`,
    // The quorum-activated policy gate is not wired into this rig yet (see decision 0930).
    SIGNER_POLICY_ENFORCEMENT: "off",
  }).catch(async (error: unknown) => {
    await evm.close();
    throw error;
  });
  const signerClient = new SignerClient({ url: signer.url, token: signerToken });
  const hot = (await signerClient.key(HOT_KEY_ID)).address;
  await evm.fund(hot, parseEther("100"));

  const times: MethodTimes = {};
  const chain = new EthersEvmChain(evm.url, CONTRACT_ERRORS);
  const governance: GovernanceRuntime = {
    chain: timed(chain, "chain", times),
    signer: timed(signerClient, "signer", times),
    settings: {
      chainId: 31337n,
      factory,
      implementation,
      chief: evm.chief,
      gov: evm.gov,
      hotKeyId: HOT_KEY_ID,
      maxFeePerGas: MAX_FEE,
      maxPriorityFeePerGas: MAX_TIP,
      maxGasLimit: 1_000_000n,
      maxCandidates: 5,
      fromBlock: 0,
    },
  };
  const { database, dispose, url: databaseUrl } = await openEngine(engine);
  const topology: Topology = databaseUrl !== null && WORKER_PROCESS ? "worker-process" : "single-process";
  let app: NestFastifyApplication | undefined;
  let worker: WorkerHandle | undefined;
  // One load generator thread for the warm-up, the timed section and the backlog (see http-load).
  const loads = startLoadGenerator();
  try {
    app = await createApp({
      config: loadConfig({ DATA_DIR: "memory://" }),
      database,
      logger: new JsonLogger("silent", () => {}),
      metrics: new HttpMetrics(false),
      governance,
      // Like the signer above: the rig measures the outbox, not the policy engine (issue 7).
      policy: { genesis: null, enforcement: "off", requesterApprovers: new Map(), pushToSigner: false },
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const keys = new ApiKeysRepository();
    const admin = issueApiKey("bench admin", "admin", new Date());
    const operator = issueApiKey("bench operator", "operator", new Date());
    await keys.insert(database.db, admin.row);
    await keys.insert(database.db, operator.row);
    if (topology === "single-process" || databaseUrl === null) {
      const inProcess = app.get(OutboxWorker);
      worker = {
        start: () => Promise.resolve(inProcess.start(WORKER_INTERVAL_MS)),
        stop: () => inProcess.stop(),
      };
    } else {
      // The same settings the rig gives the in-process runtime, as an operator's environment.
      const env: Record<string, string> = {
        DATABASE_URL: databaseUrl,
        SIGNER_URL: signer.url,
        SIGNER_TOKEN: signerToken,
        EVM_RPC_URL: evm.url,
        EVM_FACTORY: factory,
        EVM_IMPLEMENTATION: implementation,
        EVM_CHIEF: evm.chief,
        EVM_GOV: evm.gov,
        EVM_CHAIN_ID: "31337",
        EVM_HOT_KEY_ID: HOT_KEY_ID,
        EVM_MAX_FEE_PER_GAS: MAX_FEE.toString(),
        EVM_MAX_PRIORITY_FEE_PER_GAS: MAX_TIP.toString(),
        EVM_MAX_GAS_LIMIT: "1000000",
        EVM_MAX_CANDIDATES: "5",
        EVM_FROM_BLOCK: "0",
        POLICY_ENFORCEMENT: "off",
        POLICY_PUSH_TO_SIGNER: "off",
      };
      let running: { stop(): Promise<void> } | undefined;
      worker = {
        async start() {
          running ??= await startWorkerProcess(env);
        },
        async stop() {
          await running?.stop();
          running = undefined;
        },
      };
    }
    await worker.start();

    // Setup (not timed): customers and their proxies, confirmed; then GOV on each proxy and a
    // lock into the chief, confirmed. Locks are queued only once the proxies exist, so no gas
    // estimate ever runs against a proxy address that has no code yet.
    const customers: { id: string; proxy: string }[] = [];
    for (let c = 0; c < CUSTOMERS; c++) {
      const created = expectStatus(
        await http(
          base,
          "POST",
          "/v1/customers",
          admin.token,
          {
            name: `bench customer ${c}`,
            evmColdAddress: Wallet.createRandom().address,
            tezosColdAddress: VALID_TZ1,
          },
          `customer-${c}`,
        ),
        201,
        "create customer",
      );
      const id = String(created.id);
      const originated = expectStatus(
        await http(
          base,
          "POST",
          `/v1/customers/${id}/governance/proxy`,
          operator.token,
          undefined,
          `proxy-${c}`,
        ),
        202,
        "originate",
      );
      customers.push({ id, proxy: String(originated.proxyAddress) });
    }
    await settleSetup(database, "governance.originate");
    for (const [c, { id, proxy }] of customers.entries()) {
      await evm.mint(proxy, parseEther("10"));
      expectStatus(
        await http(
          base,
          "POST",
          `/v1/customers/${id}/governance/lock`,
          operator.token,
          { wad: parseEther("5").toString() },
          `lock-${c}`,
        ),
        202,
        "lock",
      );
    }
    await settleSetup(database, "governance.lock");
    const setupSeconds = (performance.now() - setupBegan) / 1000;
    for (const key of Object.keys(times)) delete times[key];

    if (BLOCK_MS > 0) await evm.blockInterval(BLOCK_MS);
    const warmup = await warmUp(database, loads, base, operator.token, customers);

    // Timed: M vote intents, alternating candidate sets, bounded concurrency.
    const nonceBefore = await chain.pendingNonce(hot);
    const votesBefore = warmup.votes;
    if (!WORKER_DURING) await worker.stop();
    const profiler = PROFILE_DIR ? await startProfile() : undefined;
    const queriesBefore = pgQueries.count;
    const eluBefore = performance.eventLoopUtilization();
    const gc = watchGcPauses();
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const cpuBefore = process.cpuUsage();
    const mainCpuBefore = mainThreadCpuMs();
    let expectedSigned = VOTES;
    const signing = trackSigned(database, "governance.vote", () => votesBefore + expectedSigned);
    const began = performance.now();
    const load = await loads.run({
      base,
      token: operator.token,
      concurrency: CONCURRENCY,
      ratePerSec: RATE,
      requests: voteRequests(customers, VOTES, "vote"),
    });
    const answers = load.answers;
    const acceptedAt = performance.now();
    const elu = performance.eventLoopUtilization(eluBefore).utilization;
    const gcPauses = gc.stop();
    loopDelay.disable();
    const queriesDuringAccept = pgQueries.count - queriesBefore;
    if (profiler) console.log(`# CPU profile of the accepted section: ${await profiler.stop(engine.name)}`);
    const cpu = process.cpuUsage(cpuBefore);
    const mainCpuAfter = mainThreadCpuMs();
    if (!WORKER_DURING) await worker.start();
    const latencies = answers.map((a) => a.ms);
    if (LATENCIES_FILE) writeFileSync(LATENCIES_FILE, JSON.stringify(latencies));
    const non202 = answers.filter((a) => a.status !== 202);
    if (non202.length > 0) {
      console.error(`# ${non202.length} votes not accepted; first: ${JSON.stringify(non202[0])}`);
    }
    expectedSigned = VOTES - non202.length;
    const settled = await waitSettled(
      database,
      "governance.vote",
      votesBefore + VOTES - non202.length,
      CONFIRM_TIMEOUT_MS,
    );
    signing.stop();
    const signedAt = await signing.signedAt;
    await worker.stop();
    const nonceAfter = await chain.pendingNonce(hot);
    const queriesTotal = pgQueries.count - queriesBefore;

    // Check the outcome over the API too: a sample of operations read back by id.
    const ids = answers
      .filter((a) => a.status === 202)
      .map((a) => String((a.body as { operationId: string }).operationId));
    const sample = ids.filter((_, i) => i % Math.max(1, Math.floor(ids.length / 50)) === 0);
    const views = await Promise.all(
      sample.map(async (id) =>
        expectStatus(await http(base, "GET", `/v1/operations/${id}`, operator.token), 200, "get"),
      ),
    );
    const sampleConfirmed = views.filter((v) => v.status === "confirmed");
    const profile = Object.fromEntries(
      Object.entries(times)
        .sort(([, a], [, b]) => b.totalMs - a.totalMs)
        .map(([k, v]) => [
          k,
          { calls: v.calls, totalMs: round(v.totalMs), meanMs: round(v.totalMs / v.calls, 2) },
        ]),
    );
    const capacity = await measureSigningCapacity(database, loads, base, operator.token, customers, worker);
    const raw = await rawSignInsert(database, customers[0]!.proxy);
    const acceptedSeconds = load.seconds;
    const confirmedSeconds = (settled.settledAt - began) / 1000;
    return {
      engine: engine.name,
      topology,
      setupSeconds: round(setupSeconds),
      accepted: {
        votes: VOTES - non202.length,
        non202: non202.length,
        seconds: round(acceptedSeconds, 2),
        votesPerSec: round((VOTES - non202.length) / acceptedSeconds),
        p50Ms: round(quantile(latencies, 0.5), 2),
        p99Ms: round(quantile(latencies, 0.99), 2),
        maxMs: round(Math.max(...latencies), 2),
        workerRunning: WORKER_DURING,
        eventLoopUtilization: round(elu, 3),
        gcPauses,
        eventLoopDelayMs: {
          p99: round(loopDelay.percentile(99) / 1e6, 1),
          max: round(loopDelay.max / 1e6, 1),
        },
        processCpuPercentOfOneCore: round(((cpu.user + cpu.system) / 1000 / (acceptedAt - began)) * 100),
        apiMainThreadCpuMsPerIntent:
          mainCpuBefore === null || mainCpuAfter === null
            ? null
            : round((mainCpuAfter - mainCpuBefore) / VOTES, 2),
        postgresQueriesPerIntent:
          engine.name === "postgres" && !WORKER_DURING ? round(queriesDuringAccept / VOTES, 1) : null,
      },
      signed: {
        votes: signedAt === null ? null : VOTES - non202.length,
        secondsFromFirstPost: signedAt === null ? null : round((signedAt - began) / 1000, 2),
        votesPerSec:
          signedAt === null ? null : round((VOTES - non202.length) / ((signedAt - began) / 1000), 1),
      },
      warmup,
      confirmed: {
        confirmed: (settled.counts.confirmed ?? 0) - votesBefore,
        failed: settled.counts.failed ?? 0,
        timedOut: settled.timedOut,
        secondsFromFirstPost: round(confirmedSeconds, 2),
        votesPerSec: round(((settled.counts.confirmed ?? 0) - votesBefore) / confirmedSeconds, 1),
        drainSecondsAfterLastAccept: round((settled.settledAt - acceptedAt) / 1000, 2),
        distinctTxHashesSampled: new Set(sampleConfirmed.map((v) => v.txHash)).size,
        sampledViaHttp: sampleConfirmed.length,
        hotNonceAdvance: Number(nonceAfter - nonceBefore),
        postgresQueriesPerVoteEndToEnd:
          engine.name === "postgres" && topology === "single-process" ? round(queriesTotal / VOTES, 1) : null,
      },
      signingCapacity: capacity,
      workerProfile: profile,
      raw: { perSec: round(raw.perSec), signOnlyPerSec: round(raw.signOnlyPerSec), rounds: raw.rounds },
    };
  } finally {
    await loads.close();
    await worker?.stop();
    await app?.close();
    await dispose();
    chain.destroy();
    await signer.close();
    await evm.close();
  }
}

async function main(): Promise<void> {
  const wanted = (process.env.BENCH_ENGINES ?? "postgres,pglite").split(",").map((s) => s.trim());
  const results: Record<string, EngineResult> = {};
  for (const name of wanted) {
    const engine = ENGINES.find((e) => e.name === name);
    if (!engine) throw new Error(`BENCH_ENGINES: unknown engine ${JSON.stringify(name)}`);
    if (engine.skip) {
      console.log(`# skipping ${name}: ${engine.skip}`);
      continue;
    }
    console.log(
      `# ${name}: ${CUSTOMERS} customers, ${VOTES} votes, ${RATE > 0 ? `${RATE}/s, ` : ""}at most ${CONCURRENCY} in flight`,
    );
    const r = await runEngine(engine);
    console.log(JSON.stringify(r, null, 2));
    results[name] = r;
  }
  const pg = results.postgres;
  const lite = results.pglite;
  const out = {
    votesPerSecPostgres: pg?.accepted.votesPerSec ?? null,
    p99MsPostgres: pg?.accepted.p99Ms ?? null,
    signedVotesPerSecPostgres: pg?.signed.votesPerSec ?? null,
    signingCapacityPerSecPostgres: pg?.signingCapacity.votesPerSec ?? null,
    confirmedVotesPerSecPostgres: pg?.confirmed.votesPerSec ?? null,
    votesPerSecPglite: lite?.accepted.votesPerSec ?? null,
    p99MsPglite: lite?.accepted.p99Ms ?? null,
    signedVotesPerSecPglite: lite?.signed.votesPerSec ?? null,
    signingCapacityPerSecPglite: lite?.signingCapacity.votesPerSec ?? null,
    confirmedVotesPerSecPglite: lite?.confirmed.votesPerSec ?? null,
    rawSignInsertPerSec: pg?.raw.perSec ?? null,
    rawSignInsertPerSecPglite: lite?.raw.perSec ?? null,
    targets: {
      acceptedAtLeast200PerSecPostgres: pg ? pg.accepted.votesPerSec >= 200 : null,
      p99Under50MsPostgres: pg ? pg.accepted.p99Ms < 50 : null,
      signedAtLeastHalfRawPostgres: pg ? pg.signingCapacity.votesPerSec >= pg.raw.perSec / 2 : null,
      signedAtLeastHalfRawPglite: lite ? lite.signingCapacity.votesPerSec >= lite.raw.perSec / 2 : null,
    },
    meta: {
      customers: CUSTOMERS,
      proxies: CUSTOMERS,
      voteIntents: VOTES,
      warmupVotes: WARMUP_VOTES,
      ratePerSec: RATE,
      concurrency: CONCURRENCY,
      candidateSets: CANDIDATE_SETS.map((s) => s.length),
      accepted:
        "HTTP 202 with an operationId for POST /v1/customers/:id/governance/vote (operator key, unique Idempotency-Key), over real HTTP with keep-alive from a load generator on its own worker thread; votesPerSec = accepted votes / wall time from the first POST to the last answer; p50/p99/max are the client-side POST latencies, counted from each intent's scheduled time when the load runs at a fixed rate (ratePerSec > 0); the timed section follows warmupVotes votes offered the same way and confirmed before it starts (engines.*.warmup has their own latencies; decision 1041)",
      signed:
        "every vote signed by the hot signer (operation status signed, broadcast or confirmed, or a transaction hash recorded), polled every 25 ms; signedVotesPerSec = votes / wall time from the first POST to the moment the last was signed (at most the arrival rate)",
      signingCapacity:
        "the signed throughput the issue compares with half the raw baseline (decision 0975): as many votes again accepted over HTTP while no worker runs, then drained by the worker; votesPerSec = votes signed after its first run / time from that run's commit to the last run's commit (the runs' shared evm_attempts.signed_at)",
      confirmed:
        "operation status `confirmed` in the operations table (the outbox worker signed through the hot signer over HTTP, broadcast and read a successful receipt); confirmedVotesPerSec = confirmed votes / wall time from the first POST to the last confirmation; a sample is read back via GET /v1/operations/:id",
      worker: `the service's OutboxWorker started as openApp does (poll every ${WORKER_INTERVAL_MS} ms, its default), ${WORKER_DURING ? "running during the submissions" : "held back until the last submission was accepted"}`,
      topology: {
        postgres: WORKER_PROCESS
          ? "worker-process: the outbox workers in their own child process (services/api/src/main.ts with SERVICE_ROLES=workers, same DATABASE_URL, chain and signer settings), the API alone on the main thread of the benchmark process (SERVICE_ROLES=http semantics: no worker started there), as production runs it (decision 0973)"
          : "single-process (BENCH_WORKER_PROCESS=0, diagnostic): the outbox worker on the API's event loop in the benchmark process, as before decision 0973",
        pglite:
          "single-process: PGlite lives inside one process, so the API and its outbox worker share the benchmark process's main thread",
      },
      process:
        "the API on the main thread of the benchmark process (with the outbox worker only on PGlite, see topology); the hot signer and the chain each in a child process; the load generator on a worker thread of the benchmark process; PostgreSQL in its own processes",
      chain: `Hardhat's EVM in a child process (bench/lib/evm-node.ts), served over HTTP JSON-RPC on 127.0.0.1; local DSChief stack; a block per transaction during setup, then ${BLOCK_MS > 0 ? `one block every ${BLOCK_MS} ms (interval mining)` : "still one per transaction (automine)"}`,
      niceness: {
        worker: WORKER_NICE,
        signerAndChain: BACKGROUND_NICE,
        apiAndPostgres: 0,
        why: "the API is the part somebody waits for; on these two shared cores the background processes yield to it (decision 0975)",
      },
      signer:
        "the real hot signer process (services/signer/src/main.ts, sealed key file with the default scrypt cost) over HTTP on 127.0.0.1",
      // The libsecp256k1 build the signer signs with and the worker checks with (decision 1045).
      secp256k1: secp256k1Engine,
      postgres:
        "throwaway PostgreSQL 15 cluster from services/db/test/postgres.ts (fsync=off, synchronous_commit=off)",
      pglite: "in-memory PGlite in the API process, migrated image",
      rawBaseline: `sequential: ethers Wallet.signTransaction of an EIP-1559 vote(address[]) transaction, then one INSERT of it into a bench table of the same database; ${RAW_SECONDS} s or ${RAW_MAX} rounds`,
      setupExcluded:
        "customer creation, proxy origination, GOV mint and lock, and their confirmation are outside the timed section",
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? "unknown",
        memoryGiB: round(totalmem() / 2 ** 30, 1),
        // Other work shares these cores; the figures move with it.
        loadAverageAtStart: LOAD_AT_START,
        loadAverageAtEnd: loadavg().map((v) => round(v, 2)),
      },
      node: process.version,
      date: new Date().toISOString(),
    },
    engines: results,
  };
  console.log(`wrote ${writeResult("service", out)}`);
}

await main();
