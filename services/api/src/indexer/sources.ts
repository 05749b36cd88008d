/**
 * What the indexer reads from the chains. Kept apart from `EvmChain` / `TezosChain` so adapters
 * that only send (test doubles, wrappers) need not implement reads they never use; the ethers
 * and Taquito adapters implement both.
 */

/** A log with the coordinates that make it unique on its chain. */
export interface IndexedEvmLog {
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly transactionHash: string;
  readonly logIndex: number;
}

export interface EvmLogSource {
  /** The latest block number. */
  blockNumber(): Promise<number>;
  /** The hash of block `n`, or null when the chain has no such block (any more). */
  blockHash(n: number): Promise<string | null>;
  /** Logs emitted by any of `addresses` in blocks `fromBlock..toBlock` (inclusive), in chain order. */
  logsInRange(addresses: readonly string[], fromBlock: number, toBlock: number): Promise<IndexedEvmLog[]>;
}

/** One manager operation content of a Tezos block, with what the indexer needs of its receipt. */
export interface TezosContentLike {
  readonly kind: string;
  readonly source?: string;
  readonly destination?: string;
  readonly amount?: string;
  readonly parameters?: { readonly entrypoint: string; readonly value: unknown };
  readonly metadata?: {
    readonly operation_result?: {
      readonly status?: string;
      readonly originated_contracts?: readonly string[];
    };
  };
}

export interface TezosBlockLike {
  readonly hash: string;
  readonly level: number;
  readonly operations: readonly (readonly {
    readonly hash: string;
    readonly contents: readonly unknown[];
  }[])[];
}

export interface TezosBlockSource {
  /** The hot key's tz1: originations it signs are ours. */
  hotAddress(): Promise<string>;
  headLevel(): Promise<number>;
  /** The hash of the block at `level`, or null when there is none. */
  blockHashAt(level: number): Promise<string | null>;
  blockAt(level: number): Promise<TezosBlockLike>;
}

/** True when `chain` also offers the reads the indexer needs. */
export function isEvmLogSource(chain: unknown): chain is EvmLogSource {
  const c = chain as Partial<EvmLogSource> | null;
  return (
    typeof c?.blockNumber === "function" &&
    typeof c.blockHash === "function" &&
    typeof c.logsInRange === "function"
  );
}

/** True when `chain` also offers the reads the indexer needs. */
export function isTezosBlockSource(chain: unknown): chain is TezosBlockSource {
  const c = chain as Partial<TezosBlockSource> | null;
  return (
    typeof c?.hotAddress === "function" &&
    typeof c.headLevel === "function" &&
    typeof c.blockHashAt === "function" &&
    typeof c.blockAt === "function"
  );
}
