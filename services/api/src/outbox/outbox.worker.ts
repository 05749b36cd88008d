import { drainClaims, PollingLoop } from "./polling-loop.js";
import { randomUUID } from "node:crypto";
import { Inject, Injectable, Optional, type OnModuleDestroy } from "@nestjs/common";
import { Transaction, getAddress } from "ethers";
import type { Database, Tx } from "../../../db/src/database.js";
import type {
  EvmNoncesRepository,
  EvmOutboxRepository,
  EvmOutboxRow,
  OperationsRepository,
} from "../../../db/src/repositories.js";
import { GovernanceProxiesRepository } from "../../../db/src/repositories.js";
import {
  EvmAttemptsRepository,
  OutboxLocksRepository,
  type EvmAttemptRow,
} from "../../../db/src/repositories-outbox-reliability.js";
import { SignerClientError } from "../../../signer/src/client.js";
import { AuditService } from "../audit/audit.service.js";
import { PolicyEnforcementService } from "../policy/policy-enforcement.service.js";
import { EvmRevertError, type EvmFeeData, type EvmReceipt } from "../chains/evm-chain.js";
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
import { bumpFees, chooseFees, chooseGasLimit, type Fees } from "./fees.js";
import {
  DEFAULT_OUTBOX_RELIABILITY,
  OUTBOX_RELIABILITY,
  type OutboxReliability,
} from "./reliability-settings.js";
import { pauseForTest } from "./test-pause.js";

/** Wait before retrying an operation whose step failed for a transient reason. */
const BACKOFF_MS = 2_000;
/** Longest one pass waits for a receipt before leaving the operation for a later pass. */
const CONFIRM_WAIT_MS = 5_000;
const POLL_MS = 50;
/** Fee data is read at most this often (one read serves a whole pipelined pass). */
const FEE_CACHE_MS = 1_000;
/** How the audit log names the worker's own writes. */
const ACTOR = "outbox-worker";

/** What one pass did with one operation. */
export type StepOutcome = "confirmed" | "failed" | "deferred";

/** One operation of a run, ready for the signer. */
interface Prepared {
  readonly row: EvmOutboxRow;
  readonly unsigned: Transaction;
  readonly authorization: unknown;
}

/** A signer refusal, carried out of the signing transaction so it rolls back first. */
class RefusedBySigner extends Error {
  constructor(
    readonly why: string,
    readonly detail: string,
    readonly field?: string,
  ) {
    super(`signer refused (${why}): ${detail}`);
  }
}

/**
 * The signer already holds a signature at this nonce that is not our latest attempt: the exact
 * bytes we ask for (a replay), or fees not 12.5 % above what it signed last.
 */
function lostReplacement(refusal: RefusedBySigner): boolean {
  return (
    refusal.why === "EVM_NONCE_REPLAY" ||
    (refusal.why === "EVM_NONCE_REPLACEMENT_REFUSED" &&
      (refusal.field === "maxFeePerGas" || refusal.field === "maxPriorityFeePerGas"))
  );
}

/**
 * The outbox worker: claims unfinished EVM operations and drives each through queued → signed →
 * broadcast → confirmed (or failed), persisting every artefact before the step that depends on it,
 * so a crash at any point resumes without a second transaction.
 *
 * Signing is pipelined: the head of the queue of a hot address is signed together with the queued
 * operations behind it (up to `pipelineDepth`), at consecutive nonces, all under the row lock of
 * that address's nonce counter, then all are broadcast in nonce order before any receipt is
 * awaited. A transaction not mined after `bumpAfterMs` and `bumpAfterBlocks` is re-signed at the
 * same nonce with higher fees (decision 0960); every attempt is recorded and whichever one the
 * chain mines is the one confirmed.
 */
@Injectable()
export class OutboxWorker implements OnModuleDestroy {
  readonly #owner = `worker-${randomUUID()}`;
  readonly #loop: PollingLoop;
  readonly #attempts = new EvmAttemptsRepository();
  readonly #proxies = new GovernanceProxiesRepository();
  readonly #locks = new OutboxLocksRepository();
  readonly #reliability: OutboxReliability;
  #fees: { at: number; data: EvmFeeData } | undefined;
  /** Proxies seen deployed by our factory; code cannot disappear (no self-destruct), so never evicted. */
  readonly #deployedProxies = new Set<string>();

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(GOVERNANCE_RUNTIME) private readonly runtime: GovernanceRuntime | null,
    @Inject(OPERATIONS_REPOSITORY) private readonly operations: OperationsRepository,
    @Inject(EVM_OUTBOX_REPOSITORY) private readonly outbox: EvmOutboxRepository,
    @Inject(EVM_NONCES_REPOSITORY) private readonly nonces: EvmNoncesRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(AuditService) private readonly audit: AuditService,
    @Optional() @Inject(OUTBOX_RELIABILITY) reliability?: OutboxReliability,
    @Optional() @Inject(PolicyEnforcementService) private readonly policy?: PolicyEnforcementService,
  ) {
    this.#loop = new PollingLoop(logger, "outbox pass failed");
    this.#reliability = reliability ?? DEFAULT_OUTBOX_RELIABILITY;
  }

  /** This worker's lease owner name (recorded as `signed_by` on the attempts it signs). */
  get owner(): string {
    return this.#owner;
  }

  /**
   * Processes claimable operations until none is left (or `max` were handled); answers how many
   * were handled. Deferred operations are not retried within the same call.
   */
  async drain(max = 1000): Promise<number> {
    if (!this.runtime) return 0;
    return drainClaims(
      () => this.outbox.claim(this.database.db, this.#owner, this.clock(), this.#reliability.leaseMs),
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

  /** Drives one claimed operation (and, when it is queued, the run behind it) as far as it can go now. */
  async process(operationId: string): Promise<StepOutcome> {
    const op = await this.operations.findById(this.database.db, operationId);
    const row = await this.outbox.findById(this.database.db, operationId);
    if (!op || !row) return "deferred";
    try {
      let status = op.status;
      if (status === "queued") {
        const run = await this.#signRun(row);
        const sent = run.length > 0 ? await this.#broadcast(run, true) : [];
        if (sent.length > 0 && sent[0] === operationId) return await this.#confirmRun(sent);
        status = (await this.operations.findById(this.database.db, operationId))!.status;
        if (status === "queued") {
          // Not signed in this pass (fees above the cap, or another worker is on the address).
          await this.outbox.release(this.database.db, operationId, this.#owner, this.#later(BACKOFF_MS));
          return "deferred";
        }
      } else if (status === "signed") {
        await this.#broadcast([operationId]);
      }
      return await this.#confirm(operationId);
    } catch (error) {
      this.logger.emit("warn", "outbox step deferred", { operationId, error: String(error) });
      await this.outbox.release(this.database.db, operationId, this.#owner, this.#later(BACKOFF_MS));
      return "deferred";
    }
  }

  /** The chain's fee suggestion, read at most once per {@link FEE_CACHE_MS}. */
  async #feeData(): Promise<EvmFeeData> {
    const now = Date.now();
    if (this.#fees === undefined || now - this.#fees.at > FEE_CACHE_MS) {
      this.#fees = { at: now, data: await this.runtime!.chain.feeData() };
    }
    return this.#fees.data;
  }

  /**
   * Signs the queued run of `head`'s hot address, head first, at consecutive nonces, in one
   * transaction holding the address's nonce lock: the nonces, raw transactions, first attempts,
   * `signed` statuses and audit entries commit together. Answers the ids signed, in nonce order.
   */
  async #signRun(head: EvmOutboxRow): Promise<string[]> {
    const { chain, settings } = this.runtime!;
    const fees = chooseFees(await this.#feeData(), settings);
    if (fees === null) {
      this.logger.emit("warn", "base fee above the cap; operation waits", { operationId: head.operationId });
      return [];
    }
    const from = head.fromAddress;
    let seed: bigint | undefined;
    const signed = await this.database.db.transaction(async (tx) => {
      let next = await this.#locks.lockNonce(tx, from);
      if (next === undefined) {
        seed = await chain.pendingNonce(from);
        await this.#locks.seedNonce(tx, from, seed);
        next = (await this.#locks.lockNonce(tx, from))!;
      }
      const queued = await this.#locks.queuedRun(tx, from, this.#reliability.pipelineDepth);
      const now = this.clock();
      // Only the unbroken prefix this worker may take: a row leased by a live other worker ends it.
      const run: EvmOutboxRow[] = [];
      for (const row of queued) {
        const free = row.leaseUntil === null || row.leaseUntil < now || row.leaseOwner === this.#owner;
        if (!free) break;
        run.push(row);
      }
      if (run.length === 0 || run[0]!.operationId !== head.operationId) return [];
      // A call to a proxy whose origination is not mined yet would be estimated against an empty
      // account (≈21k gas) and then run out of gas once the code exists: the run ends before it.
      const deployed = await this.#targetsDeployed(run);
      const ready = deployed.indexOf(false);
      if (ready === 0) {
        const failed = await this.#originationFailed(tx, head.operationId);
        if (failed === null) throw new Error(`proxy ${head.toAddress} is not deployed yet; waiting`);
        await this.#failIn(tx, head.operationId, `the proxy was never created: ${failed}`);
        return [];
      }
      if (ready > 0) run.splice(ready);
      const estimates = await Promise.all(
        run.map((row) =>
          chain
            .estimateGas({ from: row.fromAddress, to: row.toAddress, data: row.data })
            .then((gas) => ({ gas }) as const)
            .catch((error: unknown) => ({ error }) as const),
        ),
      );
      // A nonce recorded on the head by an earlier version of the worker (allocated, never
      // signed) is used for the head alone, never allocated again.
      const recorded = run[0]!.nonce === null ? null : BigInt(run[0]!.nonce);
      if (recorded !== null && recorded < next) run.splice(1);
      const first = recorded !== null && recorded < next ? recorded : next;
      const prepared: Prepared[] = [];
      for (let i = 0; i < run.length; i++) {
        const row = run[i]!;
        const estimate = estimates[i]!;
        if ("error" in estimate) {
          // Behind the head, a revert may only mean an earlier operation of the run is not mined
          // yet (a free after a lock): the run stops there and the row waits for its own pass.
          if (i > 0 || !(estimate.error instanceof EvmRevertError)) {
            if (i === 0) throw estimate.error;
            break;
          }
          await this.#failIn(tx, row.operationId, `would revert: ${estimate.error.reason}`);
          continue;
        }
        const gasLimit = chooseGasLimit(estimate.gas, settings.maxGasLimit);
        if (gasLimit === null) {
          await this.#failIn(
            tx,
            row.operationId,
            `needs ${estimate.gas} gas, above the cap of ${settings.maxGasLimit}`,
          );
          continue;
        }
        if (i > 0 && row.nonce !== null) break;
        prepared.push({
          row,
          unsigned: this.#unsigned(row, first + BigInt(prepared.length), gasLimit, fees),
          // The policy engine's evidence for the signer (null when enforcement is off).
          authorization: (await this.policy?.authorizationFor(row.operationId, tx)) ?? null,
        });
      }
      const done: string[] = [];
      const signatures = await this.#signMany(prepared);
      for (let i = 0; i < signatures.length; i++) {
        const { row } = prepared[i]!;
        const answer = signatures[i]!;
        if (answer instanceof RefusedBySigner) {
          // Refused by the signer's policy: this one fails; the ones behind it would be gaps, so
          // they stay queued for the next pass (renumbered).
          await this.#failIn(tx, row.operationId, answer.message);
          break;
        }
        await this.#recordSigned(tx, row, first + BigInt(i), answer, fees, 1);
        done.push(row.operationId);
      }
      const allocated = recorded !== null && recorded < next ? 0 : done.length;
      if (allocated > 0) await this.#locks.allocateRun(tx, from, allocated);
      // The run behind the head is this worker's until it is broadcast.
      await this.#locks.leaseMany(
        tx,
        done.filter((id) => id !== head.operationId),
        this.#owner,
        this.#later(this.#reliability.leaseMs),
      );
      return done;
    });
    if (seed !== undefined)
      this.logger.emit("info", "nonce counter seeded from the chain", { from, next: String(seed) });
    if (signed.length > 0) await pauseForTest(this.#reliability, "after-sign", { operationId: signed[0]! });
    return signed;
  }

  /** Why the origination of the proxy `operationId` acts on failed, or null while it may still land. */
  async #originationFailed(tx: Tx, operationId: string): Promise<string | null> {
    const op = await this.operations.findById(tx, operationId);
    const proxy = op?.customerId ? await this.#proxies.findByCustomer(tx, op.customerId) : undefined;
    if (!proxy) return "the customer has no proxy origination";
    const origination = await this.operations.findById(tx, proxy.operationId);
    if (origination?.status !== "failed") return null;
    return `origination ${proxy.operationId} failed (${origination.failureReason ?? "no reason recorded"})`;
  }

  /** For each row: is its target the factory or a proxy of ours already on chain? */
  async #targetsDeployed(run: readonly EvmOutboxRow[]): Promise<boolean[]> {
    const { chain, settings } = this.runtime!;
    const factory = settings.factory.toLowerCase();
    return Promise.all(
      run.map(async (row) => {
        const to = row.toAddress.toLowerCase();
        if (to === factory || this.#deployedProxies.has(to)) return true;
        const yes = await chain.isProxy(settings.factory, row.toAddress);
        if (yes) this.#deployedProxies.add(to);
        return yes;
      }),
    );
  }

  #unsigned(row: EvmOutboxRow, nonce: bigint, gasLimit: bigint, fees: Fees): Transaction {
    return Transaction.from({
      type: 2,
      chainId: this.runtime!.settings.chainId,
      nonce: Number(nonce),
      to: row.toAddress,
      data: row.data,
      value: 0n,
      gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      accessList: [],
    });
  }

  /**
   * Signs a run at consecutive nonces: one batch call to the signer when there are several, each
   * answer checked. Answers, in order, the signed transactions up to and including the first
   * policy refusal (as a {@link RefusedBySigner}); nothing after it was signed. A nonce refusal of
   * the first item goes through {@link #signAt}'s resynchronisation, and the run stops after it.
   */
  async #signMany(prepared: readonly Prepared[]): Promise<(string | RefusedBySigner)[]> {
    const { signer, settings } = this.runtime!;
    const one = async (i: number): Promise<string | RefusedBySigner> => {
      try {
        return await this.#signAt(prepared[i]!.row, prepared[i]!.unsigned, prepared[i]!.authorization);
      } catch (error) {
        if (error instanceof RefusedBySigner) return error;
        throw error;
      }
    };
    if (prepared.length === 0) return [];
    if (prepared.length === 1) return [await one(0)];
    let results;
    try {
      results = await signer.signEvmBatch(
        settings.hotKeyId,
        prepared.map((p) => p.unsigned.unsignedSerialized),
        prepared.some((p) => p.authorization !== null) ? prepared.map((p) => p.authorization) : undefined,
      );
    } catch (error) {
      // A signer without the batch route: the first item alone, the rest on the next pass.
      if (error instanceof SignerClientError && error.status === 404) return [await one(0)];
      throw error;
    }
    const out: (string | RefusedBySigner)[] = [];
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      if (r.ok) {
        this.#checkSigned(r.signedTransaction, prepared[i]!.unsigned, prepared[i]!.row);
        out.push(r.signedTransaction);
        continue;
      }
      const why = r.error.reason ?? r.error.code;
      if (i === 0 && why.includes("NONCE")) out.push(await one(0));
      else if (!why.includes("NONCE")) out.push(new RefusedBySigner(why, r.error.message));
      break;
    }
    return out;
  }

  /**
   * Has the hot signer sign the operation's call at `nonce`. A nonce refusal while the chain
   * agrees that `nonce` is the next one means the signer signed once for an answer that never
   * arrived (nothing at that nonce was ever broadcast): the signer is set back to `nonce` and
   * asked once more. Call only while holding the address's nonce lock.
   *
   * @throws {RefusedBySigner} when the signer's policy says no.
   */
  async #signAt(row: EvmOutboxRow, unsigned: Transaction, authorization: unknown): Promise<string> {
    const { chain, signer, settings } = this.runtime!;
    const nonce = BigInt(unsigned.nonce);
    for (let tries = 0; ; tries++) {
      try {
        const answer = await signer.signEvm(settings.hotKeyId, unsigned.unsignedSerialized, authorization);
        this.#checkSigned(answer.signedTx, unsigned, row);
        return answer.signedTx;
      } catch (error) {
        if (!(error instanceof SignerClientError) || (error.status !== 400 && error.status !== 403))
          throw error;
        const why = error.reason ?? error.code;
        if (tries === 0 && why.includes("NONCE") && (await chain.pendingNonce(row.fromAddress)) === nonce) {
          this.logger.emit("warn", "signer nonce differs from the chain's; resynchronising", {
            operationId: row.operationId,
            nonce: String(nonce),
            reason: why,
          });
          await signer.resyncNonce(settings.hotKeyId, nonce);
          continue;
        }
        throw new RefusedBySigner(why, error.message);
      }
    }
  }

  /** Stores a signed attempt: raw bytes and nonce on the outbox row, the attempt, status and audit. */
  async #recordSigned(
    tx: Tx,
    row: EvmOutboxRow,
    nonce: bigint,
    signedTx: string,
    fees: Fees,
    attempt: number,
  ): Promise<void> {
    const hash = Transaction.from(signedTx).hash!;
    const now = this.clock();
    await this.outbox.setNonce(tx, row.operationId, nonce);
    await this.outbox.setRawTx(tx, row.operationId, signedTx);
    await this.#attempts.insert(tx, {
      operationId: row.operationId,
      attempt,
      nonce,
      txHash: hash,
      rawTx: signedTx,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      signedBy: this.#owner,
      signedAt: now,
      sentAt: null,
      sentBlock: null,
    });
    if (attempt === 1) {
      await this.operations.setStatus(tx, row.operationId, "signed", now, { txHash: hash });
      await this.audit.record(
        tx,
        ACTOR,
        "operation.signed",
        { operationId: row.operationId, txHash: hash, nonce: nonce.toString(), from: row.fromAddress },
        now,
      );
    } else {
      await this.operations.setStatus(tx, row.operationId, "broadcast", now, { txHash: hash });
      await this.audit.record(
        tx,
        ACTOR,
        "operation.fee_bumped",
        {
          operationId: row.operationId,
          txHash: hash,
          attempt,
          nonce: nonce.toString(),
          maxFeePerGas: fees.maxFeePerGas.toString(),
          maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
        },
        now,
      );
    }
  }

  /**
   * Hands the stored bytes of `ids` (signed operations, in nonce order) to the node, then records
   * them `broadcast` in one transaction. A node that already has the bytes is not an error. The
   * first send that fails stops the run: the rest stay `signed` for a later pass.
   */
  async #broadcast(ids: readonly string[], keepLeases = false): Promise<string[]> {
    const chain = this.runtime!.chain;
    const sent: { id: string; hash: string }[] = [];
    let failure: unknown;
    for (const id of ids) {
      const row = (await this.outbox.findById(this.database.db, id))!;
      try {
        await chain.sendRawTransaction(row.rawTx!);
      } catch (error) {
        failure = error;
        break;
      }
      sent.push({ id, hash: Transaction.from(row.rawTx!).hash! });
    }
    if (sent.length > 0) {
      await pauseForTest(this.#reliability, "after-broadcast", { operationId: sent[0]!.id });
      const block = await chain.blockNumber();
      await this.database.db.transaction(async (tx) => {
        const now = this.clock();
        for (const { id, hash } of sent) {
          await this.#attempts.markSent(tx, hash, now, block);
          await this.operations.setStatus(tx, id, "broadcast", now, { txHash: hash });
          await this.audit.record(tx, ACTOR, "operation.broadcast", { operationId: id, txHash: hash }, now);
        }
        // Unless this worker confirms the run itself, any worker may confirm the others.
        if (!keepLeases)
          await this.#locks.leaseMany(
            tx,
            sent.slice(1).map((s) => s.id),
            null,
            null,
          );
      });
    }
    if (failure !== undefined) {
      // The head's lease is released by the caller; unsent followers wait for a later pass.
      const rest = ids.slice(Math.max(sent.length, 1));
      if (rest.length > 0) await this.#locks.leaseMany(this.database.db, rest, null, this.#later(BACKOFF_MS));
      throw failure;
    }
    return sent.map((s) => s.id);
  }

  /**
   * Confirms a just-broadcast run together: one look at all receipts per poll, the mined ones
   * finished in one transaction. What is not mined before the deadline is left to
   * {@link #confirm} on a later claim (which also bumps it when stuck). Answers the head's outcome.
   */
  async #confirmRun(ids: readonly string[]): Promise<StepOutcome> {
    const deadline = Date.now() + Math.min(CONFIRM_WAIT_MS, this.#reliability.leaseMs / 3);
    const attempts = await this.#attempts.listForMany(this.database.db, ids);
    const pending = new Map(ids.map((id) => [id, attempts.filter((a) => a.operationId === id)]));
    const outcomes = new Map<string, StepOutcome>();
    for (;;) {
      const entries = [...pending.entries()];
      const mined = await Promise.all(entries.map(([, list]) => this.#minedAttempt(list)));
      const ok: { id: string; attempt: EvmAttemptRow; receipt: EvmReceipt; list: EvmAttemptRow[] }[] = [];
      for (let i = 0; i < entries.length; i++) {
        const [id, list] = entries[i]!;
        const m = mined[i];
        if (!m) continue;
        pending.delete(id);
        if (m.receipt.success) ok.push({ id, attempt: m.attempt, receipt: m.receipt, list });
        else outcomes.set(id, await this.#finish(id, m.attempt, m.receipt, list));
      }
      if (ok.length > 0) {
        await this.database.db.transaction(async (tx) => {
          for (const o of ok) await this.#confirmIn(tx, o.id, o.attempt, o.receipt, o.list);
        });
        for (const o of ok) outcomes.set(o.id, "confirmed");
      }
      if (pending.size === 0) break;
      if (Date.now() > deadline) {
        for (const id of pending.keys()) {
          await this.outbox.release(this.database.db, id, this.#owner, this.#later(POLL_MS * 10));
          outcomes.set(id, "deferred");
        }
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return outcomes.get(ids[0]!) ?? "deferred";
  }

  /**
   * Waits (bounded) for any attempt of the operation to be mined and confirms that one; re-signs
   * at the same nonce with higher fees when the latest attempt is stuck.
   */
  async #confirm(operationId: string): Promise<StepOutcome> {
    const op = (await this.operations.findById(this.database.db, operationId))!;
    if (op.status !== "broadcast") return op.status === "confirmed" ? "confirmed" : "failed";
    const chain = this.runtime!.chain;
    const deadline = Date.now() + Math.min(CONFIRM_WAIT_MS, this.#reliability.leaseMs / 3);
    let attempts = await this.#attempts.listFor(this.database.db, operationId);
    if (attempts.length === 0) attempts = [await this.#legacyAttempt(operationId, op.txHash!)];
    for (;;) {
      const mined = await this.#minedAttempt(attempts);
      if (mined) return this.#finish(operationId, mined.attempt, mined.receipt, attempts);
      const latest = attempts[attempts.length - 1]!;
      const head = await chain.blockNumber();
      if (this.#stuck(latest, head)) {
        const outcome = await this.#bump(operationId, attempts, head);
        if (outcome !== undefined) return outcome;
        attempts = await this.#attempts.listFor(this.database.db, operationId);
      }
      if (Date.now() > deadline) {
        await this.outbox.release(this.database.db, operationId, this.#owner, this.#later(POLL_MS * 10));
        return "deferred";
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** An operation broadcast before attempts were recorded: its one transaction as an attempt. */
  async #legacyAttempt(operationId: string, txHash: string): Promise<EvmAttemptRow> {
    const row = (await this.outbox.findById(this.database.db, operationId))!;
    const t = Transaction.from(row.rawTx!);
    const attempt: EvmAttemptRow = {
      operationId,
      attempt: 1,
      nonce: BigInt(t.nonce),
      txHash,
      rawTx: row.rawTx!,
      maxFeePerGas: t.maxFeePerGas ?? 0n,
      maxPriorityFeePerGas: t.maxPriorityFeePerGas ?? 0n,
      signedBy: "legacy",
      signedAt: this.clock(),
      sentAt: this.clock(),
      sentBlock: await this.runtime!.chain.blockNumber(),
    };
    await this.#attempts.insert(this.database.db, attempt);
    return attempt;
  }

  async #minedAttempt(
    attempts: readonly EvmAttemptRow[],
  ): Promise<{ attempt: EvmAttemptRow; receipt: EvmReceipt } | undefined> {
    const receipts = await this.runtime!.chain.receipts(attempts.map((a) => a.txHash));
    const i = receipts.findIndex((r) => r !== null);
    return i < 0 ? undefined : { attempt: attempts[i]!, receipt: receipts[i]! };
  }

  /** Not mined `bumpAfterMs` after it was sent, with at least `bumpAfterBlocks` blocks since. */
  #stuck(latest: EvmAttemptRow, head: number): boolean {
    if (latest.sentAt === null || latest.sentBlock === null) return false;
    const waited = this.clock().getTime() - latest.sentAt.getTime();
    return (
      waited >= this.#reliability.bumpAfterMs && head - latest.sentBlock >= this.#reliability.bumpAfterBlocks
    );
  }

  async #finish(
    operationId: string,
    attempt: EvmAttemptRow,
    receipt: EvmReceipt,
    attempts: readonly EvmAttemptRow[],
  ): Promise<StepOutcome> {
    if (!receipt.success) {
      return this.#fail(
        operationId,
        `reverted on chain: ${receipt.revertReason ?? "no reason"}`,
        attempt.txHash,
      );
    }
    await this.database.db.transaction((tx) => this.#confirmIn(tx, operationId, attempt, receipt, attempts));
    return "confirmed";
  }

  /** Records the mined attempt as the operation's transaction, `confirmed`, inside `tx`. */
  async #confirmIn(
    tx: Tx,
    operationId: string,
    attempt: EvmAttemptRow,
    receipt: EvmReceipt,
    attempts: readonly EvmAttemptRow[],
  ): Promise<void> {
    const now = this.clock();
    if (attempt !== attempts[attempts.length - 1]) await this.outbox.setRawTx(tx, operationId, attempt.rawTx);
    await this.operations.setStatus(tx, operationId, "confirmed", now, { txHash: attempt.txHash });
    // Released whoever holds it: a run's followers are leased to this worker.
    await this.#locks.leaseMany(tx, [operationId], null, null);
    await this.audit.record(
      tx,
      ACTOR,
      "operation.confirmed",
      {
        operationId,
        txHash: attempt.txHash,
        blockNumber: receipt.blockNumber,
        attempt: attempt.attempt,
        attempts: attempts.length,
      },
      now,
    );
  }

  /**
   * Re-signs a stuck operation at the same nonce with fees raised by the bump rule, records the
   * attempt, then broadcasts it. The hot signer accepts it as a replacement of what it last signed
   * at that nonce (decision 0963), so its own next nonce is never touched. Answers an outcome only
   * when the operation ended here.
   */
  async #bump(
    operationId: string,
    attempts: readonly EvmAttemptRow[],
    head: number,
  ): Promise<StepOutcome | undefined> {
    const { chain, settings } = this.runtime!;
    const latest = attempts[attempts.length - 1]!;
    const row = (await this.outbox.findById(this.database.db, operationId))!;
    if (
      !(await this.#locks.renewEvmLease(
        this.database.db,
        operationId,
        this.#owner,
        this.#later(this.#reliability.leaseMs),
      ))
    ) {
      return "deferred";
    }
    if ((await chain.minedNonce(row.fromAddress)) > latest.nonce) {
      // The nonce is used: one of our attempts was mined between the two reads, or something else.
      const mined = await this.#minedAttempt(attempts);
      if (mined) return this.#finish(operationId, mined.attempt, mined.receipt, attempts);
      return this.#fail(
        operationId,
        `nonce ${latest.nonce} was used by a transaction this service did not record`,
        null,
      );
    }
    this.#fees = undefined;
    const fees = bumpFees(latest, await this.#feeData(), settings, this.#reliability.bumpBps);
    if (fees === null) {
      this.logger.emit("warn", "stuck transaction already at the fee cap; it waits", {
        operationId,
        txHash: latest.txHash,
      });
      return undefined;
    }
    const previous = Transaction.from(latest.rawTx);
    let signed: { raw: string; fees: Fees };
    try {
      signed = await this.database.db.transaction(async (tx) => {
        // Every signature of the hot key is asked for under the address's lock (decision 0961).
        await this.#locks.lockNonce(tx, row.fromAddress);
        const authorization = (await this.policy?.authorizationFor(operationId, tx)) ?? null;
        let asked = fees;
        for (let tries = 0; ; tries++) {
          try {
            const raw = await this.#signReplacement(
              row,
              this.#unsigned(row, latest.nonce, previous.gasLimit, asked),
              authorization,
            );
            await this.#recordSigned(tx, row, latest.nonce, raw, asked, latest.attempt + 1);
            return { raw, fees: asked };
          } catch (error) {
            // A replacement signed for an answer that never arrived (or a transaction rolled back
            // after it) is the signer's "last signed" at this nonce but not ours: it was never
            // sent. Asking once more one bump above covers it without a second bump of our own.
            const higher =
              tries === 0 && error instanceof RefusedBySigner && lostReplacement(error)
                ? bumpFees(asked, await this.#feeData(), settings, this.#reliability.bumpBps)
                : null;
            if (higher === null) throw error;
            asked = higher;
          }
        }
      });
    } catch (error) {
      if (!(error instanceof RefusedBySigner)) throw error;
      // Replacement count reached, policy revoked, or the signer no longer remembers the nonce:
      // the attempts already sent stay valid and are still watched; nothing is failed for it.
      this.logger.emit("warn", "replacement refused by the signer; the stuck transaction waits", {
        operationId,
        nonce: String(latest.nonce),
        reason: error.why,
        field: error.field ?? null,
        detail: error.detail,
      });
      return undefined;
    }
    const signedTx = signed.raw;
    const hash = Transaction.from(signedTx).hash!;
    this.logger.emit("info", "stuck transaction re-signed with higher fees", {
      operationId,
      nonce: String(latest.nonce),
      replaces: latest.txHash,
      txHash: hash,
      maxFeePerGas: String(signed.fees.maxFeePerGas),
      maxPriorityFeePerGas: String(signed.fees.maxPriorityFeePerGas),
    });
    try {
      await chain.sendRawTransaction(signedTx);
    } catch (error) {
      // Most likely an earlier attempt was mined meanwhile ("nonce too low"): the next look at
      // the receipts settles it. The attempt stays recorded, unsent, and is never re-sent blindly.
      this.logger.emit("warn", "replacement not accepted by the node", { operationId, error: String(error) });
      return undefined;
    }
    await this.#attempts.markSent(this.database.db, hash, this.clock(), head);
    return undefined;
  }

  /**
   * Asks the hot signer for a replacement at a used nonce. No resynchronisation here: a refusal
   * means the signer does not accept it as a fee bump of what it signed there.
   *
   * @throws {RefusedBySigner} when the signer says no.
   */
  async #signReplacement(row: EvmOutboxRow, unsigned: Transaction, authorization: unknown): Promise<string> {
    const { signer, settings } = this.runtime!;
    try {
      const answer = await signer.signEvm(settings.hotKeyId, unsigned.unsignedSerialized, authorization);
      this.#checkSigned(answer.signedTx, unsigned, row);
      return answer.signedTx;
    } catch (error) {
      if (error instanceof SignerClientError && (error.status === 400 || error.status === 403))
        throw new RefusedBySigner(error.reason ?? error.code, error.message, error.field);
      throw error;
    }
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

  /** Marks the operation failed inside an open transaction (no nonce was allocated to it). */
  async #failIn(tx: Tx, operationId: string, reason: string, txHash: string | null = null): Promise<void> {
    const why = reason.slice(0, 1000);
    const now = this.clock();
    await this.operations.setStatus(tx, operationId, "failed", now, {
      failureReason: why,
      ...(txHash !== null ? { txHash } : {}),
    });
    await this.outbox.release(tx, operationId, this.#owner, null);
    await this.audit.record(tx, ACTOR, "operation.failed", { operationId, reason: why }, now);
    this.logger.emit("warn", "operation failed", { operationId, reason: why });
  }

  /** Marks the operation failed. */
  async #fail(operationId: string, reason: string, txHash: string | null): Promise<"failed"> {
    await this.database.db.transaction((tx) => this.#failIn(tx, operationId, reason, txHash));
    return "failed";
  }

  #later(ms: number): Date {
    return new Date(this.clock().getTime() + ms);
  }
}
