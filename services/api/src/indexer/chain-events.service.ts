import { Inject, Injectable } from "@nestjs/common";
import { and, desc, eq } from "drizzle-orm";
import type { Database } from "../../../db/src/database.js";
import { governanceProxies, operations, stakingContracts } from "../../../db/src/schema.js";
import type { IndexedChain } from "../../../db/src/schema-chain-events.js";
import { NotFoundError } from "../../../shared/src/errors.js";
import { customers } from "../../../db/src/schema.js";
import { DATABASE } from "../tokens.js";
import type { ChainEventRow, ChainEventsRepository } from "./chain-events.repository.js";
import type { IndexerReader } from "./chain-indexer.js";
import type { IndexerSettings } from "./settings.js";
import { CHAIN_EVENTS_REPOSITORY, INDEXER_READERS, INDEXER_SETTINGS } from "./tokens.js";

/** An indexed event as the API shows it. */
export interface IndexedEventView {
  readonly seq: number;
  readonly chain: IndexedChain;
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly txHash: string;
  readonly logIndex: number;
  readonly contract: string;
  readonly subject: string;
  readonly name: string;
  readonly args: unknown;
  /** Blocks on top of the event's block, itself included, as of the indexer's last pass. */
  readonly confirmations: number;
  /** Deeper than the confirmation depth: a reorganisation can no longer drop it. */
  readonly confirmed: boolean;
}

/** Where the indexer of one chain stands. */
export interface IndexerCursorView {
  readonly chain: IndexedChain;
  readonly nextBlock: number | null;
  readonly headSeen: number | null;
  readonly confirmationDepth: number;
  readonly updatedAt: string | null;
}

/** An operation as listed next to the chain state. */
export interface OperationSummary {
  readonly id: string;
  readonly kind: string;
  readonly status: string;
  readonly txHash: string | null;
  readonly failureReason: string | null;
  readonly createdAt: string;
}

/** What the governance status shows from the index, next to what it reads from the chain. */
export interface IndexedGovernanceState {
  readonly indexed: {
    readonly cursor: IndexerCursorView;
    /** Sum of indexed `Locked` minus `Freed` amounts (base units, decimal). */
    readonly lockedWad: string;
    /** The slate of the last indexed `Voted`, or null. */
    readonly lastVotedSlate: string | null;
    /** The hot key per the index (`ProxyCreated` then every `HotRotated`), or null. */
    readonly hot: string | null;
    readonly events: IndexedEventView[];
  } | null;
  readonly operations: OperationSummary[];
}

/** What the staking status shows from the index, next to what it reads from the chain. */
export interface IndexedStakingState {
  readonly indexed: {
    readonly cursor: IndexerCursorView;
    /** The delegate of the last indexed `%set_delegate`, or null (none, or never set). */
    readonly delegate: string | null;
    /** Sum of indexed withdrawals to cold (mutez, decimal). */
    readonly withdrawnMutez: string;
    readonly events: IndexedEventView[];
  } | null;
  readonly operations: OperationSummary[];
}

/** Read side of the index: what the status routes and `GET /v1/customers/:id/events` show. */
@Injectable()
export class ChainEventsService {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(CHAIN_EVENTS_REPOSITORY) private readonly repo: ChainEventsRepository,
    @Inject(INDEXER_SETTINGS) private readonly settings: IndexerSettings,
    @Inject(INDEXER_READERS) private readonly readers: readonly IndexerReader[],
  ) {}

  /** Whether this instance indexes `chain` (otherwise its events are never filled in). */
  indexes(chain: IndexedChain): boolean {
    return this.readers.some((r) => r.reader.chain === chain);
  }

  async cursor(chain: IndexedChain): Promise<IndexerCursorView> {
    const row = await this.repo.cursor(this.database.db, chain);
    return {
      chain,
      nextBlock: row?.nextBlock ?? null,
      headSeen: row?.headSeen ?? null,
      confirmationDepth: this.#depth(chain),
      updatedAt: row?.updatedAt.toISOString() ?? null,
    };
  }

  /** Indexed events about one contract, oldest first, with the chain's cursor. */
  async forSubject(
    chain: IndexedChain,
    subject: string,
    limit = 200,
  ): Promise<{ cursor: IndexerCursorView; events: IndexedEventView[] }> {
    const cursor = await this.cursor(chain);
    const rows = await this.repo.eventsOf(this.database.db, [{ chain, subject }], 0, limit);
    return { cursor, events: rows.map((r) => this.#view(r, cursor)) };
  }

  /**
   * Events about the customer's contracts (vote proxy, delegation contract).
   *
   * @throws {NotFoundError} unknown customer.
   */
  async forCustomer(
    customerId: string,
    query: { chain?: IndexedChain; after: number; limit: number },
  ): Promise<{ customerId: string; cursors: IndexerCursorView[]; events: IndexedEventView[] }> {
    const db = this.database.db;
    const [customer] = await db
      .select({ id: customers.id })
      .from(customers)
      .where(eq(customers.id, customerId));
    if (!customer) throw new NotFoundError("customer", customerId);
    const subjects: { chain: IndexedChain; subject: string }[] = [];
    const [proxy] = await db
      .select({ address: governanceProxies.proxyAddress })
      .from(governanceProxies)
      .where(eq(governanceProxies.customerId, customerId));
    if (proxy) subjects.push({ chain: "evm", subject: proxy.address });
    const [kt1] = await db
      .select({ address: stakingContracts.contractAddress })
      .from(stakingContracts)
      .where(eq(stakingContracts.customerId, customerId));
    if (kt1?.address) subjects.push({ chain: "tezos", subject: kt1.address });
    const wanted = subjects.filter((s) => query.chain === undefined || s.chain === query.chain);
    const chains = [...new Set<IndexedChain>(query.chain ? [query.chain] : ["evm", "tezos"])];
    const cursors = await Promise.all(chains.map((c) => this.cursor(c)));
    const byChain = new Map(cursors.map((c) => [c.chain, c]));
    const rows = await this.repo.eventsOf(db, wanted, query.after, query.limit);
    return { customerId, cursors, events: rows.map((r) => this.#view(r, byChain.get(r.chain)!)) };
  }

  /** Indexed state of a vote proxy and the customer's EVM operations. */
  async governanceState(customerId: string, proxy: string): Promise<IndexedGovernanceState> {
    const operations = await this.operationsOf(customerId, "evm");
    if (!this.indexes("evm")) return { indexed: null, operations };
    const { cursor, events } = await this.forSubject("evm", proxy);
    let locked = 0n;
    let lastVotedSlate: string | null = null;
    let hot: string | null = null;
    for (const e of events) {
      const args = e.args as Record<string, string>;
      if (e.name === "Locked") locked += BigInt(args["wad"] ?? "0");
      else if (e.name === "Freed") locked -= BigInt(args["wad"] ?? "0");
      else if (e.name === "Voted") lastVotedSlate = args["slate"] ?? null;
      else if (e.name === "ProxyCreated") hot = args["hot"] ?? null;
      else if (e.name === "HotRotated") hot = args["newHot"] ?? null;
    }
    return { indexed: { cursor, lockedWad: locked.toString(), lastVotedSlate, hot, events }, operations };
  }

  /** Indexed state of a delegation contract (none before its KT1 is known) and the Tezos operations. */
  async stakingState(customerId: string, kt1: string | null): Promise<IndexedStakingState> {
    const operations = await this.operationsOf(customerId, "tezos");
    if (!this.indexes("tezos")) return { indexed: null, operations };
    const { cursor, events } =
      kt1 === null ? { cursor: await this.cursor("tezos"), events: [] } : await this.forSubject("tezos", kt1);
    let delegate: string | null = null;
    let withdrawn = 0n;
    for (const e of events) {
      const args = e.args as Record<string, string | null>;
      if (e.name === "DelegateSet") delegate = args["delegate"] ?? null;
      else if (e.name === "Withdrawn") withdrawn += BigInt(args["amountMutez"] ?? "0");
    }
    return { indexed: { cursor, delegate, withdrawnMutez: withdrawn.toString(), events }, operations };
  }

  /** The customer's operations on `chain`, newest first. */
  async operationsOf(customerId: string, chain: IndexedChain, limit = 100): Promise<OperationSummary[]> {
    const rows = await this.database.db
      .select()
      .from(operations)
      .where(and(eq(operations.customerId, customerId), eq(operations.chain, chain)))
      .orderBy(desc(operations.createdAt))
      .limit(limit);
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      status: r.status,
      txHash: r.txHash,
      failureReason: r.failureReason,
      createdAt: r.createdAt.toISOString(),
    }));
  }

  #depth(chain: IndexedChain): number {
    return chain === "evm" ? this.settings.evmConfirmations : this.settings.tezosConfirmations;
  }

  #view(row: ChainEventRow, cursor: IndexerCursorView): IndexedEventView {
    const head = cursor.headSeen ?? row.blockNumber;
    const confirmations = Math.max(0, head - row.blockNumber + 1);
    return {
      seq: row.seq,
      chain: row.chain,
      blockNumber: row.blockNumber,
      blockHash: row.blockHash,
      txHash: row.txHash,
      logIndex: row.logIndex,
      contract: row.contract,
      subject: row.subject,
      name: row.name,
      args: row.args,
      confirmations,
      confirmed: head - row.blockNumber >= cursor.confirmationDepth,
    };
  }
}
