/**
 * The in-process set-up of the EVM worker tests: chain, deployment and signer (evm-rig), a
 * migrated PGlite, the API with the default outbox reliability settings and its worker, and a
 * JSON poster with the operator key. `drainAll` drains until nothing is left to claim.
 */
import type { NestFastifyApplication } from "@nestjs/platform-fastify";
import { Wallet } from "ethers";
import type { Database } from "../../../db/src/database.js";
import { openMigratedPglite } from "../../../db/test/targets.js";
import type { LogLevel } from "../../src/config.js";
import { OutboxWorker } from "../../src/outbox/outbox.worker.js";
import { DEFAULT_OUTBOX_RELIABILITY, type OutboxReliability } from "../../src/outbox/reliability-settings.js";
import { VALID_TZ1, jsonPoster, startTestApp } from "../helpers.js";
import { startEvmRig, type EvmRig } from "./evm-rig.js";

export interface WorkerRig {
  readonly rig: EvmRig;
  readonly database: Database;
  readonly app: NestFastifyApplication;
  readonly worker: OutboxWorker;
  /** POSTs with the operator key (or `token`), a fresh Idempotency-Key each time. */
  readonly post: ReturnType<typeof jsonPoster>;
  /** The app's log lines at `logLevel` and above. */
  readonly logLines: string[];
  /** Creates a customer with `evmCold` (a random address if absent) as cold address; answers its id. */
  newCustomer(name: string, evmCold?: string): Promise<string>;
  drainAll(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts everything; `prefix` keeps the Idempotency-Keys of one test file apart, `reliability`
 * overrides the default outbox settings, `logLevel` (silent) is the lowest level kept.
 */
export async function startWorkerRig(
  prefix: string,
  options: { readonly reliability?: Partial<OutboxReliability>; readonly logLevel?: LogLevel } = {},
): Promise<WorkerRig> {
  const rig = await startEvmRig();
  const database = await openMigratedPglite();
  const test = await startTestApp(
    database,
    {},
    {
      logLevel: options.logLevel ?? "silent",
      governance: rig.governance,
      reliability: { ...DEFAULT_OUTBOX_RELIABILITY, ...options.reliability },
    },
  );
  const worker = test.app.get(OutboxWorker);
  const post = jsonPoster(test.app, test.keys.operator, prefix);
  return {
    rig,
    database,
    app: test.app,
    worker,
    post,
    logLines: test.logLines,
    async newCustomer(name, evmCold) {
      const body = {
        name,
        evmColdAddress: evmCold ?? Wallet.createRandom().address,
        tezosColdAddress: VALID_TZ1,
      };
      return (await post("/v1/customers", body, test.keys.admin)).id;
    },
    async drainAll() {
      while ((await worker.drain()) > 0) {
        // Until nothing is left to claim.
      }
    },
    async close() {
      await test.app.close();
      await database.close();
      await rig.close();
    },
  };
}
