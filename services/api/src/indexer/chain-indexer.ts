import { Inject, Injectable, type OnModuleDestroy } from "@nestjs/common";
import type { Database } from "../../../db/src/database.js";
import type { JsonLogger } from "../logger.js";
import { PollingLoop } from "../outbox/polling-loop.js";
import { CLOCK, DATABASE, LOGGER, type Clock } from "../tokens.js";
import { indexPass, type ChainReader, type PassResult } from "./block-window.js";
import type { ChainEventsRepository } from "./chain-events.repository.js";
import type { IndexerSettings } from "./settings.js";
import { CHAIN_EVENTS_REPOSITORY, INDEXER_READERS, INDEXER_SETTINGS } from "./tokens.js";

/** A configured reader and where it starts. */
export interface IndexerReader {
  readonly reader: ChainReader;
  readonly startBlock: number;
}

/**
 * Polls every configured chain and stores what {@link indexPass} reads. Passes on one chain never
 * overlap; a failing pass is logged and retried on the next tick (the cursor only moves forward
 * with the events it covers, so nothing is skipped and nothing is stored twice).
 */
@Injectable()
export class ChainIndexer implements OnModuleDestroy {
  readonly #loop: PollingLoop;

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(INDEXER_SETTINGS) private readonly settings: IndexerSettings,
    @Inject(INDEXER_READERS) private readonly readers: readonly IndexerReader[],
    @Inject(CHAIN_EVENTS_REPOSITORY) private readonly repo: ChainEventsRepository,
  ) {
    this.#loop = new PollingLoop(logger, "chain indexer pass failed");
  }

  /** Chains this instance reads. */
  chains(): string[] {
    return this.readers.map((r) => r.reader.chain);
  }

  /** Starts polling (no-op when disabled or when no chain is configured). */
  start(): void {
    if (!this.settings.enabled || this.readers.length === 0) return;
    this.logger.emit("info", "chain indexer started", {
      chains: this.chains(),
      pollMs: this.settings.pollMs,
    });
    this.#loop.start(this.settings.pollMs, () => this.runOnce());
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /**
   * One pass per chain, catching up in batches until each reaches the head (tests call this).
   *
   * @throws the first chain's error; the other chains still ran.
   */
  async runOnce(): Promise<PassResult[]> {
    const results: PassResult[] = [];
    let failure: unknown;
    for (const { reader, startBlock } of this.readers) {
      try {
        const confirmations =
          reader.chain === "evm" ? this.settings.evmConfirmations : this.settings.tezosConfirmations;
        for (let round = 0; round < 100; round++) {
          const result = await indexPass(
            this.database,
            this.repo,
            reader,
            { confirmations, batchBlocks: this.settings.batchBlocks, startBlock },
            this.logger,
            this.clock,
          );
          results.push(result);
          if (!result.range || result.range.to >= result.head) break;
        }
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
    return results;
  }
}
