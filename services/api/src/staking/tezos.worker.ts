import { drainClaims, PollingLoop } from "../outbox/polling-loop.js";
import { randomUUID } from "node:crypto";
import { Inject, Injectable, type OnModuleDestroy } from "@nestjs/common";
import type { Database } from "../../../db/src/database.js";
import type {
  OperationsRepository,
  StakingContractsRepository,
  TezosOutboxRepository,
  TezosOutboxRow,
} from "../../../db/src/repositories.js";
import { SignerClientError } from "../../../signer/src/client.js";
import { AuditService } from "../audit/audit.service.js";
import { TezosRefusalError, type TezosIntent } from "../chains/tezos-chain.js";
import type { JsonLogger } from "../logger.js";
import {
  CLOCK,
  DATABASE,
  LOGGER,
  OPERATIONS_REPOSITORY,
  STAKING_CONTRACTS_REPOSITORY,
  STAKING_RUNTIME,
  TEZOS_OUTBOX_REPOSITORY,
  type Clock,
} from "../tokens.js";
import type { StakingRuntime } from "./settings.js";

/** How long a claimed operation stays with its worker before another may resume it. */
const LEASE_MS = 30_000;
/** Wait before retrying an operation whose step failed for a transient reason. */
const BACKOFF_MS = 2_000;
/** How long one pass waits for inclusion before leaving the operation for a later pass. */
const CONFIRM_WAIT_MS = 5_000;
const POLL_MS = 50;
/** How the audit log names the worker's own writes. */
const ACTOR = "tezos-outbox-worker";

export type TezosStepOutcome = "confirmed" | "failed" | "deferred";

/**
 * The Tezos outbox worker: claims unfinished staking operations one at a time (the hot account's
 * counter allows one in flight) and drives each through queued → signed → broadcast → confirmed
 * (or failed). The forged bytes and signature are stored before injection, so a worker resuming
 * after a crash injects the very same bytes (or finds them already included) and never signs twice.
 */
@Injectable()
export class TezosOutboxWorker implements OnModuleDestroy {
  readonly #owner = `tezos-worker-${randomUUID()}`;
  readonly #loop: PollingLoop;

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(STAKING_RUNTIME) private readonly runtime: StakingRuntime | null,
    @Inject(OPERATIONS_REPOSITORY) private readonly operations: OperationsRepository,
    @Inject(TEZOS_OUTBOX_REPOSITORY) private readonly outbox: TezosOutboxRepository,
    @Inject(STAKING_CONTRACTS_REPOSITORY) private readonly contracts: StakingContractsRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {
    this.#loop = new PollingLoop(logger, "tezos outbox pass failed");
  }

  /** Processes claimable operations until none is left (or `max` were handled); answers how many. */
  async drain(max = 1000): Promise<number> {
    if (!this.runtime) return 0;
    return drainClaims(
      () => this.outbox.claim(this.database.db, this.#owner, this.clock(), LEASE_MS),
      (id) => this.process(id),
      max,
    );
  }

  /** Polls the outbox every `intervalMs` until {@link stop}. */
  start(intervalMs = 500): void {
    if (this.runtime) this.#loop.start(intervalMs, () => this.drain());
  }

  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Drives one claimed operation as far as it can go now. */
  async process(operationId: string): Promise<TezosStepOutcome> {
    const db = this.database.db;
    const op = await this.operations.findById(db, operationId);
    if (!op || !(await this.outbox.findById(db, operationId))) return "deferred";
    try {
      if (op.status === "queued") {
        const signed = await this.#sign(operationId);
        if (signed !== "signed") return signed;
      }
      const current = (await this.operations.findById(db, operationId))!;
      const row = (await this.outbox.findById(db, operationId))!;
      if (current.status === "signed") {
        const injected = await this.#inject(current.txHash!, row);
        if (injected !== "broadcast") return injected;
      }
      return await this.#confirm(operationId);
    } catch (error) {
      this.logger.emit("warn", "tezos outbox step deferred", { operationId, error: String(error) });
      await this.outbox.release(db, operationId, this.#owner, this.#later(BACKOFF_MS));
      return "deferred";
    }
  }

  async #sign(operationId: string): Promise<"signed" | TezosStepOutcome> {
    const row = (await this.outbox.findById(this.database.db, operationId))!;
    const intent = row.intent as unknown as TezosIntent;
    let signed;
    try {
      signed = await this.runtime!.chain.sign(intent);
    } catch (error) {
      if (error instanceof TezosRefusalError) return this.#fail(operationId, `node refused: ${error.reason}`);
      if (error instanceof SignerClientError && (error.status === 400 || error.status === 403)) {
        return this.#fail(operationId, `signer refused (${error.reason ?? error.code}): ${error.message}`);
      }
      throw error;
    }
    await this.database.db.transaction(async (tx) => {
      const now = this.clock();
      await this.outbox.setSigned(tx, operationId, {
        forgedBytes: signed.forgedBytes,
        signature: signed.signature,
        signedAtLevel: signed.signedAtLevel,
      });
      await this.operations.setStatus(tx, operationId, "signed", now, { txHash: signed.opHash });
      await this.audit.record(
        tx,
        ACTOR,
        "operation.signed",
        { operationId, opHash: signed.opHash, signedAtLevel: signed.signedAtLevel },
        now,
      );
    });
    return "signed";
  }

  /** Injects the stored bytes, unless a previous attempt already got them included. */
  async #inject(opHash: string, row: TezosOutboxRow): Promise<"broadcast" | TezosStepOutcome> {
    const chain = this.runtime!.chain;
    const included = await chain.findInclusion(opHash, row.signedAtLevel!);
    if (!included) {
      try {
        const answered = await chain.inject({ forgedBytes: row.forgedBytes!, signature: row.signature! });
        if (answered !== opHash) {
          throw new Error(`the node named the operation ${answered}, not ${opHash}`);
        }
      } catch (error) {
        if (!(error instanceof TezosRefusalError)) throw error;
        // A refusal may only mean a lost answer of an earlier injection: look once more.
        if (!(await chain.findInclusion(opHash, row.signedAtLevel!))) {
          return this.#fail(row.operationId, error.reason);
        }
      }
    }
    await this.database.db.transaction(async (tx) => {
      const now = this.clock();
      await this.operations.setStatus(tx, row.operationId, "broadcast", now, { txHash: opHash });
      await this.audit.record(
        tx,
        ACTOR,
        "operation.broadcast",
        { operationId: row.operationId, opHash },
        now,
      );
    });
    return "broadcast";
  }

  async #confirm(operationId: string): Promise<TezosStepOutcome> {
    const db = this.database.db;
    const op = (await this.operations.findById(db, operationId))!;
    if (op.status !== "broadcast") return op.status === "confirmed" ? "confirmed" : "failed";
    const row = (await this.outbox.findById(db, operationId))!;
    const intent = row.intent as unknown as TezosIntent;
    const deadline = Date.now() + CONFIRM_WAIT_MS;
    for (;;) {
      const inclusion = await this.runtime!.chain.findInclusion(op.txHash!, row.signedAtLevel!);
      if (inclusion) {
        if (!inclusion.applied) {
          return this.#fail(operationId, `failed on chain: ${inclusion.errors.join(", ") || "no reason"}`);
        }
        const contract = intent.kind === "originate" ? inclusion.originated[0] : undefined;
        if (intent.kind === "originate" && contract === undefined) {
          return this.#fail(operationId, "the origination's receipt names no originated contract");
        }
        await db.transaction(async (tx) => {
          const now = this.clock();
          if (contract !== undefined) {
            const owner = await this.contracts.findByOperation(tx, operationId);
            if (owner) await this.contracts.setAddress(tx, owner.customerId, contract);
          }
          await this.operations.setStatus(tx, operationId, "confirmed", now);
          await this.outbox.release(tx, operationId, this.#owner, null);
          await this.audit.record(
            tx,
            ACTOR,
            "operation.confirmed",
            { operationId, opHash: op.txHash!, level: inclusion.level, ...(contract ? { contract } : {}) },
            now,
          );
        });
        return "confirmed";
      }
      if (Date.now() > deadline) {
        await this.outbox.release(db, operationId, this.#owner, this.#later(POLL_MS * 10));
        return "deferred";
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Marks the operation failed; a failed origination frees the customer to originate again. */
  async #fail(operationId: string, reason: string): Promise<"failed"> {
    const why = reason.slice(0, 1000);
    await this.database.db.transaction(async (tx) => {
      const now = this.clock();
      await this.contracts.deleteByOperation(tx, operationId);
      await this.operations.setStatus(tx, operationId, "failed", now, { failureReason: why });
      await this.outbox.release(tx, operationId, this.#owner, null);
      await this.audit.record(tx, ACTOR, "operation.failed", { operationId, reason: why }, now);
    });
    this.logger.emit("warn", "tezos operation failed", { operationId, reason: why });
    return "failed";
  }

  #later(ms: number): Date {
    return new Date(this.clock().getTime() + ms);
  }
}
