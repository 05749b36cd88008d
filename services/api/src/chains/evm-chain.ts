/**
 * What the custody service needs from an EVM chain. Services and the outbox worker depend on this
 * interface only, so a test can put any JSON-RPC endpoint (or another implementation) behind it.
 */

/** Fee suggestion of the chain's latest block. */
export interface EvmFeeData {
  readonly baseFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

/** The outcome of a mined transaction. */
export interface EvmReceipt {
  readonly hash: string;
  readonly blockNumber: number;
  readonly success: boolean;
  /** Decoded revert reason of a failed transaction, when the node can replay it. */
  readonly revertReason?: string;
}

/** A log entry, topics and data as hex. */
export interface EvmLog {
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
  readonly blockNumber: number;
  readonly transactionHash: string;
}

/** A read-only or to-be-sent call. */
export interface EvmCall {
  readonly from?: string;
  readonly to: string;
  readonly data: string;
}

export interface EvmChain {
  chainId(): Promise<bigint>;
  /** Count of transactions from `address`, including pending ones. */
  pendingNonce(address: string): Promise<bigint>;
  feeData(): Promise<EvmFeeData>;
  /**
   * Broadcasts a signed transaction and answers its hash. Sending the same raw bytes again is
   * not an error (the node already knows or has mined it).
   */
  sendRawTransaction(rawTx: string): Promise<string>;
  /**
   * Broadcasts several signed transactions in one round trip where the node allows it, in order;
   * each item answers its hash (as {@link sendRawTransaction}) or the error the node gave it.
   */
  sendRawTransactions(rawTxs: readonly string[]): Promise<(string | Error)[]>;
  /** The receipt, or null while the transaction is not mined. */
  receipt(hash: string): Promise<EvmReceipt | null>;
  /** Receipts of several transactions in one round trip where the node allows it, in order. */
  receipts(hashes: readonly string[]): Promise<(EvmReceipt | null)[]>;
  /** Number of the latest block. */
  blockNumber(): Promise<number>;
  /** Count of mined transactions from `address` (the nonce of its next transaction to be mined). */
  minedNonce(address: string): Promise<bigint>;
  /**
   * Gas the call needs, simulated on top of the latest block by default, or of the pending one
   * (the node's mempool applied first, at the next block's number and time: dearer, but what a
   * call sent now would meet).
   *
   * @throws {EvmRevertError} when the call would revert.
   */
  estimateGas(call: EvmCall, block?: "latest" | "pending"): Promise<bigint>;
  /**
   * Runs the call once on top of the latest block with exactly `gas` as its limit, as a
   * transaction with that limit would run. @throws {EvmRevertError} when it reverts (or runs out).
   */
  simulate(call: EvmCall, gas: bigint): Promise<void>;
  /** `eth_call` at the latest block. @throws {EvmRevertError} when it reverts. */
  call(call: EvmCall): Promise<string>;
  /** `factory.predictProxy(customerId, cold, hot)` read from the chain. */
  predictProxy(factory: string, customerId: string, cold: string, hot: string): Promise<string>;
  /** `factory.isProxy(proxy)` read from the chain. */
  isProxy(factory: string, proxy: string): Promise<boolean>;
  /** Logs of `address` from `fromBlock` to the latest block, optionally filtered by topic0. */
  logs(address: string, fromBlock: number, topic0?: readonly string[]): Promise<EvmLog[]>;
}

/** A call or transaction the chain reverted; `reason` is the decoded message or custom error. */
export class EvmRevertError extends Error {
  readonly code = "evm_revert";
  constructor(readonly reason: string) {
    super(`execution reverted: ${reason}`);
    this.name = "EvmRevertError";
  }
}
