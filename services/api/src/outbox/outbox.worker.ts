import { drainClaims, PollingLoop } from "./polling-loop.js";
import { randomUUID } from "node:crypto";
import { Inject, Injectable, type OnModuleDestroy } from "@nestjs/common";
import { Transaction, getAddress } from "ethers";
import type { Database } from "../../../db/src/database.js";
import type {
  EvmNoncesRepository,
  EvmOutboxRepository,
  EvmOutboxRow,
  OperationRow,
  OperationsRepository,
} from "../../../db/src/repositories.js";
import { SignerClientError } from "../../../signer/src/client.js";
import { AuditService } from "../audit/audit.service.js";
import { EvmRevertError } from "../chains/evm-chain.js";
import type { GovernanceRuntime } from "../governance/settings.js";
import type { JsonLogger } from "../logger.js";
import {
  CLOCK,
  DATABASE,
  EVM_NONCES_REPOSITORY,
  EVM_OUTBOX_REPOSITORY,
  GOVERNANCE_RUNTIME,
  LOGGER,
  OPERATIONS_REPOSITORY,
  type Clock,
} from "../tokens.js";
import { chooseFees, chooseGasLimit } from "./fees.js";

/** How long a claimed operation stays with its worker before another may resume it. */
const LEASE_MS = 30_000;
/** Wait before retrying an operation whose step failed for a transient reason. */
const BACKOFF_MS = 2_000;
/** How long one pass waits for a receipt before leaving the operation for a later pass. */
const CONFIRM_WAIT_MS = 5_000;
const POLL_MS = 50;
/** How the audit log names the worker's own writes. */
const ACTOR = "outbox-worker";

/** What one pass did with one operation. */
export type StepOutcome = "confirmed" | "failed" | "deferred";

/**
 * The outbox worker: claims unfinished EVM operations one at a time and drives each through
 * queued → signed → broadcast → confirmed (or failed), persisting every artefact before the step
 * that depends on it, so a crash at any point resumes without a second transaction.
 */
@Injectable()
export class OutboxWorker implements OnModuleDestroy {
  readonly #owner = `worker-${randomUUID()}`;
  readonly #loop: PollingLoop;

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(GOVERNANCE_RUNTIME) private readonly runtime: GovernanceRuntime | null,
    @Inject(OPERATIONS_REPOSITORY) private readonly operations: OperationsRepository,
    @Inject(EVM_OUTBOX_REPOSITORY) private readonly outbox: EvmOutboxRepository,
    @Inject(EVM_NONCES_REPOSITORY) private readonly nonces: EvmNoncesRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {
    this.#loop = new PollingLoop(logger, "outbox pass failed");
  }

  /**
   * Processes claimable operations until none is left (or `max` were handled); answers how many
   * were handled. Deferred operations are not retried within the same call.
   */
  async drain(max = 1000): Promise<number> {
    if (!this.runtime) return 0;
    return drainClaims(
      () => this.outbox.claim(this.database.db, this.#owner, this.clock(), LEASE_MS),
      (id) => this.process(id),
      max,
    );
  }

  /** Polls the outbox every `intervalMs` until {@link stop}. */
  start(intervalMs = 200): void {
    if (this.runtime) this.#loop.start(intervalMs, () => this.drain());
  }

  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Drives one claimed operation as far as it can go now. */
  async process(operationId: string): Promise<StepOutcome> {
    const op = await this.operations.findById(this.database.db, operationId);
    const row = await this.outbox.findById(this.database.db, operationId);
    if (!op || !row) return "deferred";
    try {
      if (op.status === "queued") {
        const signed = await this.#sign(op, row);
        if (signed !== "signed") return signed;
      }
      const current = (await this.operations.findById(this.database.db, operationId))!;
      if (current.status === "signed") {
        const raw = (await this.outbox.findById(this.database.db, operationId))!.rawTx!;
        await this.runtime!.chain.sendRawTransaction(raw);
        await this.database.db.transaction(async (tx) => {
          const now = this.clock();
          await this.operations.setStatus(tx, operationId, "broadcast", now, { txHash: current.txHash! });
          await this.audit.record(
            tx,
            ACTOR,
            "operation.broadcast",
            { operationId, txHash: current.txHash! },
            now,
          );
        });
      }
      return await this.#confirm(operationId);
    } catch (error) {
      this.logger.emit("warn", "outbox step deferred", { operationId, error: String(error) });
      await this.outbox.release(this.database.db, operationId, this.#owner, this.#later(BACKOFF_MS));
      return "deferred";
    }
  }

  async #sign(op: OperationRow, row: EvmOutboxRow): Promise<"signed" | StepOutcome> {
    const { chain, signer, settings } = this.runtime!;
    let gasEstimate: bigint;
    try {
      gasEstimate = await chain.estimateGas({ from: row.fromAddress, to: row.toAddress, data: row.data });
    } catch (error) {
      // A call the chain would revert is never signed: it would only burn the hot key's gas.
      if (error instanceof EvmRevertError) return this.#fail(op.id, `would revert: ${error.reason}`, null);
      throw error;
    }
    const gasLimit = chooseGasLimit(gasEstimate, settings.maxGasLimit);
    if (gasLimit === null) {
      return this.#fail(op.id, `needs ${gasEstimate} gas, above the cap of ${settings.maxGasLimit}`, null);
    }
    const fees = chooseFees(await chain.feeData(), settings);
    if (fees === null) {
      this.logger.emit("warn", "base fee above the cap; operation waits", { operationId: op.id });
      await this.outbox.release(this.database.db, op.id, this.#owner, this.#later(BACKOFF_MS));
      return "deferred";
    }
    const nonce = await this.#nonceFor(row);
    const unsigned = Transaction.from({
      type: 2,
      chainId: settings.chainId,
      nonce: Number(nonce),
      to: row.toAddress,
      data: row.data,
      value: 0n,
      gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      accessList: [],
    });
    let answer: { signedTx: string; hash: string };
    try {
      answer = await signer.signEvm(settings.hotKeyId, unsigned.unsignedSerialized);
    } catch (error) {
      if (error instanceof SignerClientError && (error.status === 400 || error.status === 403)) {
        const why = error.reason ?? error.code;
        const reason = `signer refused (${why}): ${error.message}`;
        // A nonce refusal means the signer's count differs from ours: handing this nonce out
        // again would be refused the same way, so it is not given back.
        const unused = why.includes("NONCE") ? null : { address: row.fromAddress, nonce };
        return this.#fail(op.id, reason, unused);
      }
      throw error;
    }
    const signed = this.#checkSigned(answer.signedTx, unsigned, row);
    await this.database.db.transaction(async (tx) => {
      const now = this.clock();
      await this.outbox.setRawTx(tx, op.id, answer.signedTx);
      await this.operations.setStatus(tx, op.id, "signed", now, { txHash: signed.hash! });
      await this.audit.record(
        tx,
        ACTOR,
        "operation.signed",
        { operationId: op.id, txHash: signed.hash!, nonce: nonce.toString(), from: row.fromAddress },
        now,
      );
    });
    return "signed";
  }

  /** The nonce recorded on the operation, or the next one of its hot address (recorded now). */
  async #nonceFor(row: EvmOutboxRow): Promise<bigint> {
    if (row.nonce !== null) return BigInt(row.nonce);
    const chainNonce = await this.runtime!.chain.pendingNonce(row.fromAddress);
    return this.database.db.transaction(async (tx) => {
      const nonce = await this.nonces.allocate(tx, row.fromAddress, chainNonce);
      await this.outbox.setNonce(tx, row.operationId, nonce);
      return nonce;
    });
  }

  /** The signer's answer must be exactly what was asked, signed by the hot key: never trust it blindly. */
  #checkSigned(signedTx: string, unsigned: Transaction, row: EvmOutboxRow): Transaction {
    const signed = Transaction.from(signedTx);
    if (
      signed.unsignedSerialized !== unsigned.unsignedSerialized ||
      signed.from === null ||
      getAddress(signed.from) !== getAddress(row.fromAddress)
    ) {
      throw new Error(`the signer answered a transaction other than the one asked for ${row.operationId}`);
    }
    return signed;
  }

  async #confirm(operationId: string): Promise<StepOutcome> {
    const op = (await this.operations.findById(this.database.db, operationId))!;
    if (op.status !== "broadcast") return op.status === "confirmed" ? "confirmed" : "failed";
    const deadline = Date.now() + CONFIRM_WAIT_MS;
    for (;;) {
      const receipt = await this.runtime!.chain.receipt(op.txHash!);
      if (receipt) {
        if (receipt.success) {
          await this.database.db.transaction(async (tx) => {
            const now = this.clock();
            await this.operations.setStatus(tx, operationId, "confirmed", now);
            await this.outbox.release(tx, operationId, this.#owner, null);
            await this.audit.record(
              tx,
              ACTOR,
              "operation.confirmed",
              { operationId, txHash: op.txHash!, blockNumber: receipt.blockNumber },
              now,
            );
          });
          return "confirmed";
        }
        return this.#fail(operationId, `reverted on chain: ${receipt.revertReason ?? "no reason"}`, null);
      }
      if (Date.now() > deadline) {
        await this.outbox.release(this.database.db, operationId, this.#owner, this.#later(POLL_MS * 10));
        return "deferred";
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Marks the operation failed; a nonce it held but never used goes back when it was the last one. */
  async #fail(
    operationId: string,
    reason: string,
    unusedNonce: { address: string; nonce: bigint } | null,
  ): Promise<"failed"> {
    await this.database.db.transaction(async (tx) => {
      if (unusedNonce) {
        await this.nonces.releaseIfLast(tx, unusedNonce.address, unusedNonce.nonce);
        await this.outbox.setNonce(tx, operationId, null);
      }
      const now = this.clock();
      await this.operations.setStatus(tx, operationId, "failed", now, {
        failureReason: reason.slice(0, 1000),
      });
      await this.outbox.release(tx, operationId, this.#owner, null);
      await this.audit.record(
        tx,
        ACTOR,
        "operation.failed",
        { operationId, reason: reason.slice(0, 1000) },
        now,
      );
    });
    this.logger.emit("warn", "operation failed", { operationId, reason });
    return "failed";
  }

  #later(ms: number): Date {
    return new Date(this.clock().getTime() + ms);
  }
}
