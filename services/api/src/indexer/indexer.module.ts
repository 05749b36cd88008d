import { Module, type DynamicModule } from "@nestjs/common";
import type { Database } from "../../../db/src/database.js";
import type { GovernanceRuntime } from "../governance/settings.js";
import type { JsonLogger } from "../logger.js";
import type { StakingRuntime } from "../staking/settings.js";
import { CLOCK, DATABASE, LOGGER, type Clock } from "../tokens.js";
import { ChainEventsController } from "./chain-events.controller.js";
import { ChainEventsRepository } from "./chain-events.repository.js";
import { ChainEventsService } from "./chain-events.service.js";
import { ChainIndexer, type IndexerReader } from "./chain-indexer.js";
import { EvmEventReader } from "./evm-reader.js";
import { DEFAULT_INDEXER_SETTINGS, type IndexerSettings } from "./settings.js";
import { isEvmLogSource, isTezosBlockSource } from "./sources.js";
import { TezosEventReader } from "./tezos-reader.js";
import { CHAIN_EVENTS_REPOSITORY, INDEXER_READERS, INDEXER_SETTINGS } from "./tokens.js";

/** What the indexer is built from: the app's dependencies (the same object `createApp` takes). */
export interface IndexerDependencies {
  readonly database: Database;
  readonly logger: JsonLogger;
  readonly clock?: Clock;
  readonly governance?: GovernanceRuntime;
  readonly staking?: StakingRuntime;
  readonly indexer?: IndexerSettings;
}

/** Readers for the chains whose adapters offer the indexer's reads. */
export function indexerReaders(deps: IndexerDependencies, repo: ChainEventsRepository): IndexerReader[] {
  const readers: IndexerReader[] = [];
  if (deps.governance && isEvmLogSource(deps.governance.chain)) {
    readers.push({
      reader: new EvmEventReader(
        deps.governance.chain,
        deps.governance.settings.factory,
        deps.database,
        repo,
      ),
      startBlock: deps.governance.settings.fromBlock,
    });
  }
  if (deps.staking && isTezosBlockSource(deps.staking.chain)) {
    readers.push({ reader: new TezosEventReader(deps.staking.chain, deps.database, repo), startBlock: 0 });
  }
  return readers;
}

/**
 * The chain indexer: a poller per chain ({@link ChainIndexer}, started by `openApp`), the read side
 * ({@link ChainEventsService}, global so the status routes can show indexed state) and
 * `GET /v1/customers/:id/events`.
 */
@Module({})
export class IndexerModule {
  static register(deps: IndexerDependencies): DynamicModule {
    const repo = new ChainEventsRepository();
    return {
      module: IndexerModule,
      global: true,
      controllers: [ChainEventsController],
      providers: [
        { provide: DATABASE, useValue: deps.database },
        { provide: LOGGER, useValue: deps.logger },
        { provide: CLOCK, useValue: deps.clock ?? (() => new Date()) },
        { provide: INDEXER_SETTINGS, useValue: deps.indexer ?? DEFAULT_INDEXER_SETTINGS },
        { provide: INDEXER_READERS, useValue: indexerReaders(deps, repo) },
        { provide: CHAIN_EVENTS_REPOSITORY, useValue: repo },
        ChainEventsService,
        ChainIndexer,
      ],
      exports: [ChainEventsService, ChainIndexer],
    };
  }
}
