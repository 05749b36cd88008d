import { drainClaims, PollingLoop } from "../outbox/polling-loop.js";
import { randomUUID } from "node:crypto";
import { Inject, Injectable, Optional, type OnModuleDestroy } from "@nestjs/common";
import { LocalForger } from "@taquito/local-forging";
import type { Database } from "../../../db/src/database.js";
import type {
  OperationsRepository,
  StakingContractsRepository,
  TezosOutboxRepository,
  TezosOutboxRow,
} from "../../../db/src/repositories.js";
import { SignerClientError } from "../../../signer/src/client.js";
import { OutboxLocksRepository } from "../../../db/src/repositories-outbox-reliability.js";
import { AuditService } from "../audit/audit.service.js";
import { PolicyEnforcementService } from "../policy/policy-enforcement.service.js";
import { TezosRefusalError, type SignedTezosOperation, type TezosIntent } from "../chains/tezos-chain.js";
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
import {
  DEFAULT_OUTBOX_RELIABILITY,
  OUTBOX_RELIABILITY,
  type OutboxReliability,
} from "../outbox/reliability-settings.js";
import { pauseForTest } from "../outbox/test-pause.js";

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
  readonly #reliability: OutboxReliability;

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(STAKING_RUNTIME) private readonly runtime: StakingRuntime | null,
    @Inject(OPERATIONS_REPOSITORY) private readonly operations: OperationsRepository,
    @Inject(TEZOS_OUTBOX_REPOSITORY) private readonly outbox: TezosOutboxRepository,
    @Inject(STAKING_CONTRACTS_REPOSITORY) private readonly contracts: StakingContractsRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(AuditService) private readonly audit: AuditService,
    @Optional() @Inject(OUTBOX_RELIABILITY) reliability?: OutboxReliability,
    @Optional() @Inject(PolicyEnforcementService) private readonly policy?: PolicyEnforcementService,
  ) {
    this.#loop = new PollingLoop(logger, "tezos outbox pass failed");
    this.#reliability = reliability ?? DEFAULT_OUTBOX_RELIABILITY;
  }

  /** Processes claimable operations until none is left (or `max` were handled); answers how many. */
  async drain(max = 1000): Promise<number> {
    if (!this.runtime) return 0;
    return drainClaims(
      () => this.outbox.claim(this.database.db, this.#owner, this.clock(), this.#reliability.leaseMs),
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
      let current = (await this.operations.findById(db, operationId))!;
      let row = (await this.outbox.findById(db, operationId))!;
      if (current.status === "signed" && (await this.#expired(row))) {
        // Signed long ago and never injected (or injected and lost): only a fresh branch can land.
        if (!(await this.runtime!.chain.findInclusion(current.txHash!, row.signedAtLevel!))) {
          const reforged = await this.#reforge(operationId, current.txHash!, row, "signed");
          if (reforged !== "signed") return reforged;
          current = (await this.operations.findById(db, operationId))!;
          row = (await this.outbox.findById(db, operationId))!;
        }
      }
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
      signed = await this.runtime!.chain.sign(
        intent,
        (await this.policy?.authorizationFor(operationId)) ?? undefined,
      );
    } catch (error) {
      if (error instanceof TezosRefusalError) return this.#fail(operationId, `node refused: ${error.reason}`);
      if (error instanceof SignerClientError && (error.status === 400 || error.status === 403)) {
        return this.#fail(operationId, `signer refused (${error.reason ?? error.code}): ${error.message}`);
      }
      throw error;
    }
    await this.#recordSigned(operationId, signed, "operation.signed", {
      operationId,
      opHash: signed.opHash,
      signedAtLevel: signed.signedAtLevel,
    });
    return "signed";
  }

  /** Stores the signed bytes, the `signed` status and the audit entry together, before any injection. */
  async #recordSigned(
    operationId: string,
    signed: SignedTezosOperation,
    action: "operation.signed" | "operation.reforged",
    auditPayload: Record<string, string | number>,
  ): Promise<void> {
    await this.database.db.transaction(async (tx) => {
      const now = this.clock();
      await this.outbox.setSigned(tx, operationId, {
        forgedBytes: signed.forgedBytes,
        signature: signed.signature,
        signedAtLevel: signed.signedAtLevel,
      });
      await this.operations.setStatus(tx, operationId, "signed", now, { txHash: signed.opHash });
      await this.audit.record(tx, ACTOR, action, auditPayload, now);
    });
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
        await pauseForTest(this.#reliability, "tezos-after-broadcast", { operationId: row.operationId });
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
    let row = (await this.outbox.findById(db, operationId))!;
    let opHash = op.txHash!;
    const intent = row.intent as unknown as TezosIntent;
    const deadline = Date.now() + Math.min(CONFIRM_WAIT_MS, this.#reliability.leaseMs / 3);
    for (;;) {
      const inclusion = await this.runtime!.chain.findInclusion(opHash, row.signedAtLevel!);
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
            { operationId, opHash, level: inclusion.level, ...(contract ? { contract } : {}) },
            now,
          );
        });
        return "confirmed";
      }
      if (await this.#expired(row)) {
        // Not included and never includable any more: re-forge on a fresh branch, same counter.
        const reforged = await this.#reforge(operationId, opHash, row, "broadcast");
        if (reforged !== "signed") return reforged;
        row = (await this.outbox.findById(db, operationId))!;
        opHash = (await this.operations.findById(db, operationId))!.txHash!;
        const injected = await this.#inject(opHash, row);
        if (injected !== "broadcast") return injected;
        continue;
      }
      if (Date.now() > deadline) {
        await this.outbox.release(db, operationId, this.#owner, this.#later(POLL_MS * 10));
        return "deferred";
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /**
   * True when the operation's branch is certainly outdated: the head is at least the protocol's
   * operation TTL above the level seen before signing (the branch is at or below that level), so
   * the node will never include these bytes. False when the node cannot tell.
   */
  async #expired(row: TezosOutboxRow): Promise<boolean> {
    const chain = this.runtime!.chain;
    if (!chain.headLevel || !chain.maxOperationsTtl || row.signedAtLevel === null) return false;
    const [head, ttl] = await Promise.all([chain.headLevel(), chain.maxOperationsTtl()]);
    return head - row.signedAtLevel >= ttl;
  }

  /**
   * Re-forges an operation whose branch expired without inclusion (the caller checked): the same
   * intent is forged on a fresh branch and signed again, and the new bytes must use the very
   * counters of the old ones (the account did not move, so nothing else took them). Stores the
   * new bytes, hash and level, sets `signed`, and audits `operation.reforged` naming both hashes.
   */
  async #reforge(
    operationId: string,
    oldHash: string,
    row: TezosOutboxRow,
    from: "signed" | "broadcast",
  ): Promise<"signed" | TezosStepOutcome> {
    const renewed = await this.#renew(operationId);
    if (!renewed) return "deferred";
    const intent = row.intent as unknown as TezosIntent;
    let signed;
    try {
      signed = await this.runtime!.chain.sign(
        intent,
        (await this.policy?.authorizationFor(operationId)) ?? undefined,
      );
    } catch (error) {
      if (error instanceof TezosRefusalError) return this.#fail(operationId, `node refused: ${error.reason}`);
      throw error;
    }
    const [before, after] = await Promise.all([countersOf(row.forgedBytes!), countersOf(signed.forgedBytes)]);
    if (before.join(",") !== after.join(",")) {
      throw new Error(
        `re-forged operation uses counters ${after.join(",")}, not ${before.join(",")}: the account moved`,
      );
    }
    await this.#recordSigned(operationId, signed, "operation.reforged", {
      operationId,
      replaces: oldHash,
      opHash: signed.opHash,
      was: from,
      counters: after.join(","),
      signedAtLevel: signed.signedAtLevel,
    });
    this.logger.emit("info", "expired tezos operation re-forged on a fresh branch", {
      operationId,
      replaces: oldHash,
      opHash: signed.opHash,
    });
    return "signed";
  }

  async #renew(operationId: string): Promise<boolean> {
    return new OutboxLocksRepository().renewTezosLease(
      this.database.db,
      operationId,
      this.#owner,
      this.#later(this.#reliability.leaseMs),
    );
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

const forger = new LocalForger();

/** The counters of the manager operations in forged bytes, in order. */
async function countersOf(forgedBytes: string): Promise<string[]> {
  const parsed = (await forger.parse(forgedBytes)) as { contents: { counter?: string }[] };
  return parsed.contents.map((c) => c.counter ?? "");
}
