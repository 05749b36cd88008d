import { PollingLoop } from "./polling-loop.js";
import { randomUUID } from "node:crypto";
import { Inject, Injectable, Optional, type OnModuleDestroy } from "@nestjs/common";
import { Transaction, keccak256 } from "ethers";
import type { Database, Tx } from "../../../db/src/database.js";
import type {
  EvmNoncesRepository,
  EvmOutboxRepository,
  EvmOutboxRow,
  OperationsRepository,
} from "../../../db/src/repositories.js";
import { AuditRepository, GovernanceProxiesRepository } from "../../../db/src/repositories.js";
import { OutboxRunsRepository, type SignedRunItem } from "../../../db/src/repositories-outbox-runs.js";
import {
  EvmAttemptsRepository,
  OutboxLocksRepository,
  type EvmAttemptRow,
} from "../../../db/src/repositories-outbox-reliability.js";
import { SignerClientError, type EvmBatchResult } from "../../../signer/src/client.js";
import { isSignatureOfKey, keyOfSignature } from "../../../signer/src/keys/known-key-verify.js";
import { evmAddressOf } from "../../../signer/src/keys/secp256k1.js";
import { signatureOfSigned } from "../../../signer/src/keys/eip1559-signed.js";
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
import { gasCeilingOf } from "./gas-ceilings.js";
import {
  DEFAULT_OUTBOX_RELIABILITY,
  OUTBOX_RELIABILITY,
  type OutboxReliability,
} from "./reliability-settings.js";
import { pauseForTest } from "./test-pause.js";
import { RefreshingValue } from "./refreshing-value.js";
import { keccak_256 } from "@noble/hashes/sha3.js";

/**
 * How old a simulation made ahead of its run may be when the run is signed. A run is signed
 * within a few hundred milliseconds of the previous one; older results are simulated again.
 */
const PREFETCH_MAX_AGE_MS = 2_000;
/**
 * Transactions per request to the signer within a run: the next chunk is signed while the worker
 * checks the signatures of the previous one, so the two processes work at the same time.
 */
const SIGN_CHUNK = 16;
/** Wait before retrying an operation whose step failed for a transient reason. */
const BACKOFF_MS = 2_000;
/** Longest one pass waits for a receipt before leaving the operation for a later pass. */
const CONFIRM_WAIT_MS = 5_000;
const POLL_MS = 50;
/** Fee data is read at most this often (one read serves a whole pipelined pass). */
const FEE_CACHE_MS = 1_000;
/**
 * Fee data up to this old is still used while a background read refreshes it: a run never waits
 * for the node's answer, which under load took up to 200 ms once a second. A base fee moves at
 * most 12.5 % per block.
 */
const FEE_STALE_MS = 5_000;
/**
 * Most runs one worker is still sending or confirming while it signs the next ones: the signer
 * and the database never wait for the node or a block, yet a stalled chain cannot pile up
 * unbounded work.
 */
const MAX_CONFIRMING_RUNS = 32;
/** How the audit log names the worker's own writes. */
const ACTOR = "outbox-worker";

/** What one pass did with one operation. */
export type StepOutcome = "confirmed" | "failed" | "deferred";

/** One operation of a run, ready for the signer. */
interface Prepared {
  readonly row: EvmOutboxRow;
  readonly unsigned: Transaction;
  /** `unsigned`'s serialisation: the exact bytes sent to the signer, serialised once. */
  readonly asked: string;
  readonly authorization: unknown;
}

/** A gas limit to sign with (`padded`: margin included), or why the simulation failed. */
type EstimateResult = { readonly gas: bigint; readonly padded: boolean } | { readonly error: unknown };

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
  readonly #runs = new OutboxRunsRepository();
  readonly #auditLog = new AuditRepository();
  readonly #reliability: OutboxReliability;
  readonly #fees = new RefreshingValue<EvmFeeData>(() => this.runtime!.chain.feeData(), {
    freshMs: FEE_CACHE_MS,
    staleMs: FEE_STALE_MS,
  });
  #head: { at: number; read: Promise<number> } | undefined;
  /** Simulations started ahead of their run (see {@link #prefetch}), by operation id. */
  readonly #simulations = new Map<string, { at: number; data: string; result: Promise<EstimateResult> }>();
  /** Public keys of the hot addresses, recovered from their first signature checked here. */
  readonly #hotKeys = new Map<string, Uint8Array>();
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
    const confirming = new Set<Promise<unknown>>();
    let handled = 0;
    try {
      while (handled < max) {
        const id = await this.outbox.claim(
          this.database.db,
          this.#owner,
          this.clock(),
          this.#reliability.leaseMs,
        );
        if (id === undefined) {
          // Runs still confirming may unblock more work (a free behind a lock): look again soon.
          if (confirming.size === 0) break;
          await Promise.race([...confirming, new Promise((resolve) => setTimeout(resolve, POLL_MS))]);
          continue;
        }
        handled++;
        const step = await this.#advance(id);
        if (typeof step !== "string") {
          const tracked: Promise<unknown> = step.later.finally(() => confirming.delete(tracked));
          confirming.add(tracked);
          while (confirming.size >= MAX_CONFIRMING_RUNS) await Promise.race(confirming);
        }
      }
    } finally {
      await Promise.allSettled(confirming);
    }
    return handled;
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
    const step = await this.#advance(operationId);
    return typeof step === "string" ? step : step.later;
  }

  /**
   * {@link process}, except that a run it just broadcast is confirmed in the background: the
   * answer is then `later`, the head's outcome to come, and the caller may sign the next run
   * meanwhile.
   */
  async #advance(operationId: string): Promise<StepOutcome | { readonly later: Promise<StepOutcome> }> {
    const op = await this.operations.findById(this.database.db, operationId);
    const row = await this.outbox.findById(this.database.db, operationId);
    if (!op || !row) return "deferred";
    try {
      let status = op.status;
      if (status === "queued") {
        const run = await this.#signRun(row);
        if (run[0] === operationId) return { later: this.#sendAndConfirm(run) };
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

  /**
   * The chain's head block number, read at most once per {@link POLL_MS} however many runs are
   * waiting for their receipts.
   */
  #headBlock(): Promise<number> {
    const now = Date.now();
    if (this.#head === undefined || now - this.#head.at >= POLL_MS) {
      const read = this.runtime!.chain.blockNumber();
      this.#head = { at: now, read };
      // A failed read is not kept: the next caller asks again.
      read.catch(() => {
        if (this.#head?.read === read) this.#head = undefined;
      });
    }
    return this.#head.read;
  }

  /** The chain's fee suggestion: see {@link FEE_CACHE_MS} and {@link FEE_STALE_MS}. */
  #feeData(): Promise<EvmFeeData> {
    return this.#fees.get();
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
    const signed = await this.#audited(async (tx) => {
      let next = await this.#locks.lockNonce(tx, from);
      if (next === undefined) {
        seed = await chain.pendingNonce(from);
        await this.#locks.seedNonce(tx, from, seed);
        next = (await this.#locks.lockNonce(tx, from))!;
      }
      const depth = this.#reliability.pipelineDepth;
      const queued = await this.#locks.queuedRun(tx, from, 2 * depth);
      const now = this.clock();
      // Only the unbroken prefix this worker may take: a row leased by a live other worker ends it.
      const free: EvmOutboxRow[] = [];
      for (const row of queued) {
        if (row.leaseUntil !== null && row.leaseUntil >= now && row.leaseOwner !== this.#owner) break;
        free.push(row);
      }
      const run = free.slice(0, depth);
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
        run.map((row) => this.#prefetched(row) ?? this.#estimate(row, "latest")),
      );
      // The next run is simulated while this one is being signed (decision 0975).
      this.#prefetch(free.slice(depth));
      // A nonce recorded on the head by an earlier version of the worker (allocated, never
      // signed) is used for the head alone, never allocated again.
      const recorded = run[0]!.nonce === null ? null : BigInt(run[0]!.nonce);
      if (recorded !== null && recorded < next) run.splice(1);
      const first = recorded !== null && recorded < next ? recorded : next;
      const prepared: Prepared[] = [];
      for (let i = 0; i < run.length; i++) {
        const row = run[i]!;
        let estimate = estimates[i]!;
        if (i === 0 && "error" in estimate && estimate.error instanceof EvmRevertError) {
          // While earlier operations of the address are still on their way to a block (confirmed
          // in the background), the head waits for them: the revert may be theirs to lift.
          if ((await this.#runs.inFlight(tx, from)) > 0)
            throw new Error(
              `would revert before earlier operations are mined; waiting: ${estimate.error.reason}`,
            );
          // The latest block's number and time are not the next block's (DSChief refuses a free
          // in the block of its lock): the revert is final only if the pending block agrees.
          estimate = await this.#estimate(row, "pending");
        }
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
        const gasLimit = estimate.padded ? estimate.gas : chooseGasLimit(estimate.gas, settings.maxGasLimit);
        if (gasLimit === null) {
          await this.#failIn(
            tx,
            row.operationId,
            `needs ${estimate.gas} gas, above the cap of ${settings.maxGasLimit}`,
          );
          continue;
        }
        if (i > 0 && row.nonce !== null) break;
        const unsigned = this.#unsigned(row, first + BigInt(prepared.length), gasLimit, fees);
        prepared.push({
          row,
          unsigned,
          asked: unsigned.unsignedSerialized,
          // The policy engine's evidence for the signer (null when enforcement is off).
          authorization: (await this.policy?.authorizationFor(row.operationId, tx)) ?? null,
        });
      }
      const done: string[] = [];
      const items: SignedRunItem[] = [];
      const signatures = await this.#signMany(prepared);
      const signedAt = this.clock();
      for (let i = 0; i < signatures.length; i++) {
        const { row } = prepared[i]!;
        const answer = signatures[i]!;
        if (answer instanceof RefusedBySigner) {
          // Refused by the signer's policy: this one fails; the ones behind it would be gaps, so
          // they stay queued for the next pass (renumbered).
          await this.#failIn(tx, row.operationId, answer.message);
          break;
        }
        const item = {
          operationId: row.operationId,
          nonce: first + BigInt(i),
          rawTx: answer,
          txHash: keccak256(answer),
          ...fees,
        };
        items.push(item);
        await this.audit.record(
          tx,
          ACTOR,
          "operation.signed",
          { operationId: item.operationId, txHash: item.txHash, nonce: item.nonce.toString(), from },
          signedAt,
        );
        done.push(row.operationId);
      }
      await this.#runs.recordSigned(tx, items, this.#owner, signedAt);
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

  /**
   * Starts simulating `rows` (the next run) in the background; {@link #prefetched} hands the
   * successes to the run that signs them, if it comes soon enough.
   */
  #prefetch(rows: readonly EvmOutboxRow[]): void {
    const at = Date.now();
    for (const [id, entry] of this.#simulations)
      if (at - entry.at > PREFETCH_MAX_AGE_MS) this.#simulations.delete(id);
    const factory = this.runtime!.settings.factory.toLowerCase();
    for (const row of rows) {
      if (this.#simulations.has(row.operationId)) continue;
      // A call to a proxy not known to exist would "succeed" against an empty account: only calls
      // whose target is known deployed are simulated ahead; the others in their own run.
      const to = row.toAddress.toLowerCase();
      if (to !== factory && !this.#deployedProxies.has(to)) continue;
      this.#simulations.set(row.operationId, { at, data: row.data, result: this.#estimate(row, "latest") });
    }
  }

  /**
   * A background simulation of `row` that succeeded less than {@link PREFETCH_MAX_AGE_MS} ago on
   * the same calldata, else undefined (a failure is always simulated again, in the run's pass).
   */
  #prefetched(row: EvmOutboxRow): Promise<EstimateResult> | undefined {
    const entry = this.#simulations.get(row.operationId);
    if (entry === undefined) return undefined;
    this.#simulations.delete(row.operationId);
    if (entry.data !== row.data || Date.now() - entry.at > PREFETCH_MAX_AGE_MS) return undefined;
    return entry.result.then((r) => ("error" in r ? this.#estimate(row, "latest") : r));
  }

  /**
   * The gas limit to sign the row with, or the error the simulation gave: the call's ceiling when
   * one simulation at it succeeds on the latest block, else the node's estimate (`padded` false:
   * {@link chooseGasLimit} adds the margin).
   */
  async #estimate(row: EvmOutboxRow, block: "latest" | "pending"): Promise<EstimateResult> {
    const { chain, settings } = this.runtime!;
    const call = { from: row.fromAddress, to: row.toAddress, data: row.data };
    const ceiling = block === "latest" ? gasCeilingOf(row.data) : null;
    if (ceiling !== null && ceiling <= settings.maxGasLimit) {
      try {
        await chain.simulate(call, ceiling);
        return { gas: ceiling, padded: true };
      } catch (error) {
        if (!(error instanceof EvmRevertError)) return { error };
        // Reverted at the ceiling: the estimate tells a revert at any gas (and why) from a
        // ceiling too low for this chain.
      }
    }
    return chain.estimateGas(call, block).then(
      (gas) => ({ gas, padded: false }),
      (error: unknown) => ({ error }),
    );
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
    const withAuthorizations = prepared.some((p) => p.authorization !== null);
    const ask = (start: number) => {
      const chunk = prepared.slice(start, start + SIGN_CHUNK);
      return signer.signEvmBatch(
        settings.hotKeyId,
        chunk.map((p) => p.asked),
        withAuthorizations ? chunk.map((p) => p.authorization) : undefined,
      );
    };
    const out: (string | RefusedBySigner)[] = [];
    // Two chunks in flight, so the signer starts the next as soon as it answers one: a chunk after
    // a refusal is refused by the signer itself (its nonces would leave a gap), and a chunk in
    // flight when a check below throws is abandoned, never recorded, never sent.
    const inFlight: Promise<EvmBatchResult[]>[] = [];
    const launch = (start: number): void => {
      if (start >= prepared.length) return;
      const chunk = ask(start);
      chunk.catch(() => undefined);
      inFlight.push(chunk);
    };
    launch(0);
    launch(SIGN_CHUNK);
    for (let start = 0; start < prepared.length; start += SIGN_CHUNK) {
      let results: EvmBatchResult[];
      try {
        results = await inFlight.shift()!;
      } catch (error) {
        // A signer without the batch route: the first item alone, the rest on the next pass.
        if (start === 0 && error instanceof SignerClientError && error.status === 404) return [await one(0)];
        throw error;
      }
      // The chunk after next is asked for once this one came back whole (its nonces follow on).
      if (results.every((r) => r.ok)) launch(start + 2 * SIGN_CHUNK);
      for (const [j, r] of results.entries()) {
        const i = start + j;
        // The checks are synchronous: yield now and then so the request above actually leaves.
        if (j % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
        if (r.ok) {
          this.#checkSigned(r.signedTransaction, prepared[i]!.asked, prepared[i]!.row);
          out.push(r.signedTransaction);
          continue;
        }
        const why = r.error.reason ?? r.error.code;
        if (i === 0 && why.includes("NONCE")) out.push(await one(0));
        else if (!why.includes("NONCE")) out.push(new RefusedBySigner(why, r.error.message));
        return out;
      }
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
    const asked = unsigned.unsignedSerialized;
    for (let tries = 0; ; tries++) {
      try {
        const answer = await signer.signEvm(settings.hotKeyId, asked, authorization);
        this.#checkSigned(answer.signedTx, asked, row);
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

  /**
   * Stores a fee-bumped replacement (attempt 2 and later; first signatures are recorded a run at a
   * time in {@link #signRun}): raw bytes and nonce on the outbox row, the attempt, status and audit.
   */
  async #recordReplacement(
    tx: Tx,
    row: EvmOutboxRow,
    nonce: bigint,
    signedTx: string,
    fees: Fees,
    attempt: number,
  ): Promise<void> {
    const hash = keccak256(signedTx);
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

  /**
   * Hands the stored bytes of `ids` (signed operations, in nonce order) to the node in one batch,
   * then records the ones it took `broadcast` in one transaction. A node that already has the
   * bytes is not an error. Any item the node refused stays `signed` for a later pass (its lease
   * backs off), and the first refusal is thrown once the others are recorded.
   */
  async #broadcast(ids: readonly string[], keepLeases = false): Promise<string[]> {
    const chain = this.runtime!.chain;
    const raws = await this.#runs.rawTxs(this.database.db, ids);
    const answers = await chain.sendRawTransactions(ids.map((id) => raws.get(id)!));
    const sent: { operationId: string; txHash: string }[] = [];
    const unsent: string[] = [];
    let failure: unknown;
    for (const [i, id] of ids.entries()) {
      const answer = answers[i]!;
      if (answer instanceof Error) {
        failure ??= answer;
        unsent.push(id);
      } else sent.push({ operationId: id, txHash: keccak256(raws.get(id)!) });
    }
    if (sent.length > 0) {
      await pauseForTest(this.#reliability, "after-broadcast", { operationId: sent[0]!.operationId });
      const block = await chain.blockNumber();
      await this.#audited(async (tx) => {
        const now = this.clock();
        await this.#runs.recordBroadcast(tx, sent, now, block);
        for (const { operationId, txHash } of sent)
          await this.audit.record(tx, ACTOR, "operation.broadcast", { operationId, txHash }, now);
        // Unless this worker confirms the run itself, any worker may confirm the others; after
        // a refusal nobody here confirms them.
        if (!keepLeases || failure !== undefined)
          await this.#locks.leaseMany(
            tx,
            sent.map((s) => s.operationId).filter((id) => id !== ids[0]),
            null,
            null,
          );
      });
    }
    if (failure !== undefined) {
      // The head's lease is released by the caller; unsent followers wait for a later pass.
      const rest = unsent.filter((id) => id !== ids[0]);
      if (rest.length > 0) await this.#locks.leaseMany(this.database.db, rest, null, this.#later(BACKOFF_MS));
      throw failure;
    }
    return sent.map((s) => s.operationId);
  }

  /** Runs `work` in a transaction whose audit rows are written together just before the commit. */
  async #audited<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.database.db.transaction(async (tx) => {
      // The chain's lock is then held for the last statement only, not across the signer's answer
      // and the run's writes: the API's accepts queue behind it for a round trip, not a whole run.
      this.#auditLog.defer(tx);
      const result = await work(tx);
      await this.#auditLog.flush(tx);
      return result;
    });
  }

  /**
   * Confirms a just-broadcast run together: the receipts of all its attempts in one batch each
   * time the chain has a new block, the mined ones finished in one transaction. What is not mined
   * before the deadline is left to {@link #confirm} on a later claim (which also bumps it when
   * stuck). Answers the head's outcome.
   */
  async #confirmRun(ids: readonly string[]): Promise<StepOutcome> {
    const deadline = Date.now() + Math.min(CONFIRM_WAIT_MS, this.#reliability.leaseMs / 3);
    const attempts = await this.#attempts.listForMany(this.database.db, ids);
    const pending = new Map(ids.map((id) => [id, attempts.filter((a) => a.operationId === id)]));
    const outcomes = new Map<string, StepOutcome>();
    let lookedAt = -1;
    for (;;) {
      const head = await this.#headBlock();
      if (head !== lookedAt) {
        lookedAt = head;
        await this.#settleMined(pending, outcomes);
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

  /** One look at the receipts of every pending attempt; what is mined leaves `pending`. */
  async #settleMined(
    pending: Map<string, EvmAttemptRow[]>,
    outcomes: Map<string, StepOutcome>,
  ): Promise<void> {
    const entries = [...pending.entries()];
    const flat = entries.flatMap(([, list]) => list);
    const receipts = await this.runtime!.chain.receipts(flat.map((a) => a.txHash));
    const byHash = new Map(flat.map((a, i) => [a.txHash, receipts[i] ?? null]));
    const ok: { id: string; attempt: EvmAttemptRow; receipt: EvmReceipt; list: EvmAttemptRow[] }[] = [];
    for (const [id, list] of entries) {
      const attempt = list.find((a) => byHash.get(a.txHash));
      if (!attempt) continue;
      const receipt = byHash.get(attempt.txHash)!;
      pending.delete(id);
      if (receipt.success) ok.push({ id, attempt, receipt, list });
      else outcomes.set(id, await this.#finish(id, attempt, receipt, list));
    }
    if (ok.length === 0) return;
    await this.#audited(async (tx) => {
      const now = this.clock();
      for (const o of ok) {
        // The mined attempt is not the latest one: its bytes become the operation's.
        if (o.attempt !== o.list[o.list.length - 1]) await this.outbox.setRawTx(tx, o.id, o.attempt.rawTx);
        await this.#auditConfirmed(tx, o.id, o.attempt, o.receipt, o.list, now);
      }
      await this.#runs.recordConfirmed(
        tx,
        ok.map((o) => ({ operationId: o.id, txHash: o.attempt.txHash })),
        now,
      );
    });
    for (const o of ok) outcomes.set(o.id, "confirmed");
  }

  /**
   * Broadcasts a run just signed, then confirms it, off the signing path: the next run is signed
   * meanwhile. A failure leaves the run to later passes, as {@link process} would.
   */
  async #sendAndConfirm(run: readonly string[]): Promise<StepOutcome> {
    let sent: string[];
    try {
      sent = await this.#broadcast(run, true);
    } catch (error) {
      this.logger.emit("warn", "outbox step deferred", { operationId: run[0], error: String(error) });
      await this.outbox
        .release(this.database.db, run[0]!, this.#owner, this.#later(BACKOFF_MS))
        .catch((e: unknown) => this.logger.emit("error", "lease release failed", { error: String(e) }));
      return "deferred";
    }
    return this.#confirmRunSafely(sent);
  }

  /** {@link #confirmRun} off the signing path: a failure leaves the run to later passes. */
  async #confirmRunSafely(ids: readonly string[]): Promise<StepOutcome> {
    try {
      return await this.#confirmRun(ids);
    } catch (error) {
      this.logger.emit("warn", "outbox step deferred", { operationId: ids[0], error: String(error) });
      await this.#locks
        .leaseMany(this.database.db, ids, null, this.#later(BACKOFF_MS))
        .catch((e: unknown) => this.logger.emit("error", "lease release failed", { error: String(e) }));
      return "deferred";
    }
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
    await this.#auditConfirmed(tx, operationId, attempt, receipt, attempts, now);
  }

  async #auditConfirmed(
    tx: Tx,
    operationId: string,
    attempt: EvmAttemptRow,
    receipt: EvmReceipt,
    attempts: readonly EvmAttemptRow[],
    now: Date,
  ): Promise<void> {
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
    // A fee bump is decided on a fresh read, never on a remembered one.
    this.#fees.invalidate();
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
            await this.#recordReplacement(tx, row, latest.nonce, raw, asked, latest.attempt + 1);
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
      const asked = unsigned.unsignedSerialized;
      const answer = await signer.signEvm(settings.hotKeyId, asked, authorization);
      this.#checkSigned(answer.signedTx, asked, row);
      return answer.signedTx;
    } catch (error) {
      if (error instanceof SignerClientError && (error.status === 400 || error.status === 403))
        throw new RefusedBySigner(error.reason ?? error.code, error.message, error.field);
      throw error;
    }
  }

  /**
   * The signer's answer must be exactly what was asked, signed by the hot key: never trust it
   * blindly. The answer must be byte for byte the asked bytes with a signature appended
   * (`signatureOfSigned`, decision 1043), and recovering that signature must give the hot
   * address's key: found once per address, then compared with (decision 1040).
   */
  #checkSigned(signedTx: string, unsignedSerialized: string, row: EvmOutboxRow): void {
    const other = () =>
      new Error(`the signer answered a transaction other than the one asked for ${row.operationId}`);
    const asked = hexBytes(unsignedSerialized);
    const answer = hexBytes(signedTx);
    const signature = asked && answer && signatureOfSigned(asked, answer);
    if (asked === undefined || signature === undefined) throw other();
    const { yParity, r, s } = signature;
    const digest = keccak_256(asked);
    const from = row.fromAddress.toLowerCase();
    const key = this.#hotKeys.get(from);
    if (key === undefined) {
      // The first answer for an address: recover its key once (under the same low-s and range
      // rules), and keep it if it is the address's.
      const recovered = keyOfSignature(digest, r, s, yParity, false);
      if (recovered === null || evmAddressOf(recovered) !== from) throw other();
      this.#hotKeys.set(from, recovered);
      return;
    }
    if (!isSignatureOfKey(key, digest, r, s, yParity)) throw other();
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

/** The bytes of 0x-prefixed hex, or undefined when it is not that. */
function hexBytes(hex: string): Uint8Array | undefined {
  if (typeof hex !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(hex)) return undefined;
  return Buffer.from(hex.slice(2), "hex");
}
