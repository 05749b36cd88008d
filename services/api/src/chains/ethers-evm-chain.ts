import {
  Interface,
  JsonRpcProvider,
  getAddress,
  isCallException,
  isError,
  keccak256,
  toQuantity,
} from "ethers";
import type { IndexedEvmLog } from "../indexer/sources.js";
import { JsonRpcBatchClient } from "./json-rpc-batch.js";
import {
  EvmRevertError,
  type EvmCall,
  type EvmChain,
  type EvmFeeData,
  type EvmLog,
  type EvmReceipt,
} from "./evm-chain.js";

const factoryAbi = new Interface([
  "function predictProxy(bytes32 customerId, address cold, address hot) view returns (address)",
  "function isProxy(address proxy) view returns (bool)",
]);

/**
 * {@link EvmChain} over any EVM JSON-RPC URL with ethers v6.
 *
 * @example const chain = new EthersEvmChain("http://127.0.0.1:8545");
 */
export class EthersEvmChain implements EvmChain {
  readonly #provider: JsonRpcProvider;
  /**
   * The same node for the worker's per-run reads and sends: requests made in one tick travel as
   * one JSON-RPC batch (one HTTP round trip for a run's receipts, simulations or broadcasts);
   * each answer is still matched to its own request, so a failure names its item.
   */
  readonly #batch: JsonRpcProvider;
  /**
   * The worker's high-volume calls (broadcasts, receipts, the head block), batched the same way
   * without ethers' formatting: a quarter of the worker's CPU per vote went there (decision 1042).
   */
  readonly #rpc: JsonRpcBatchClient;
  /** Custom errors of the contracts we call, so reverts read as names rather than selectors. */
  readonly #errors: Interface;

  constructor(url: string, errorFragments: readonly string[] = []) {
    // Polling and batching add latency and hide which request failed; the worker polls itself.
    this.#provider = new JsonRpcProvider(url, undefined, { batchMaxCount: 1, cacheTimeout: -1 });
    this.#batch = new JsonRpcProvider(url, undefined, {
      batchMaxCount: 100,
      batchStallTime: 0,
      cacheTimeout: -1,
    });
    this.#rpc = new JsonRpcBatchClient(url);
    this.#errors = new Interface([...errorFragments]);
  }

  async chainId(): Promise<bigint> {
    return BigInt(await this.#provider.send("eth_chainId", []));
  }

  async pendingNonce(address: string): Promise<bigint> {
    return BigInt(await this.#provider.getTransactionCount(address, "pending"));
  }

  async feeData(): Promise<EvmFeeData> {
    const block = await this.#provider.getBlock("latest");
    let tip: bigint;
    try {
      tip = BigInt(await this.#provider.send("eth_maxPriorityFeePerGas", []));
    } catch {
      tip = 1_000_000_000n;
    }
    return { baseFeePerGas: block?.baseFeePerGas ?? 0n, maxPriorityFeePerGas: tip };
  }

  async sendRawTransaction(rawTx: string): Promise<string> {
    return this.#send(rawTx);
  }

  async sendRawTransactions(rawTxs: readonly string[]): Promise<(string | Error)[]> {
    // One batch, in order: a node handles a batch's items in sequence, so nonces arrive in order.
    return Promise.all(rawTxs.map((raw) => this.#send(raw).catch((error: unknown) => error as Error)));
  }

  async #send(rawTx: string): Promise<string> {
    try {
      const hash = await this.#rpc.call("eth_sendRawTransaction", [rawTx]);
      if (typeof hash !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(hash))
        throw new Error(`eth_sendRawTransaction answered ${JSON.stringify(hash)}, not a transaction hash`);
      return hash;
    } catch (error) {
      // A node that has the transaction already (pending or mined) answers an error, yet the
      // broadcast has happened: answer the hash if the node knows the transaction. A signed
      // transaction's hash is the keccak of its bytes, whatever its type.
      const hash = keccak256(rawTx);
      const known = await this.#provider.getTransaction(hash).catch(() => null);
      if (known) return hash;
      throw error;
    }
  }

  async receipt(hash: string): Promise<EvmReceipt | null> {
    return this.#receipt(this.#provider, hash);
  }

  async #receipt(provider: JsonRpcProvider, hash: string): Promise<EvmReceipt | null> {
    const r = await provider.getTransactionReceipt(hash);
    if (!r) return null;
    if (r.status === 1) return { hash, blockNumber: r.blockNumber, success: true };
    let revertReason = "reverted without a reason";
    try {
      const tx = await this.#provider.getTransaction(hash);
      if (tx) {
        await this.#provider.call({
          from: tx.from,
          to: tx.to,
          data: tx.data,
          blockTag: r.blockNumber - 1,
        });
      }
    } catch (error) {
      revertReason = this.#reason(error);
    }
    return { hash, blockNumber: r.blockNumber, success: false, revertReason };
  }

  async receipts(hashes: readonly string[]): Promise<(EvmReceipt | null)[]> {
    // Asked in one tick: one JSON-RPC batch, one round trip for a whole run. Only status and
    // block are read; a failed receipt goes the long way, for its revert reason.
    return Promise.all(
      hashes.map(async (hash) => {
        const raw = await this.#rpc.call<unknown>("eth_getTransactionReceipt", [hash]);
        if (raw === null) return null;
        const { status, blockNumber } = (raw ?? {}) as { status?: unknown; blockNumber?: unknown };
        if (typeof blockNumber !== "string" || !/^0x[0-9a-fA-F]+$/.test(blockNumber))
          throw new Error(`eth_getTransactionReceipt(${hash}): no block number in ${JSON.stringify(raw)}`);
        if (status === "0x1") return { hash, blockNumber: Number(BigInt(blockNumber)), success: true };
        return this.#receipt(this.#provider, hash);
      }),
    );
  }

  async blockNumber(): Promise<number> {
    const head = await this.#rpc.call<unknown>("eth_blockNumber", []);
    if (typeof head !== "string" || !/^0x[0-9a-fA-F]+$/.test(head))
      throw new Error(`eth_blockNumber answered ${JSON.stringify(head)}`);
    return Number(BigInt(head));
  }

  async minedNonce(address: string): Promise<bigint> {
    return BigInt(await this.#provider.getTransactionCount(address, "latest"));
  }

  async estimateGas(call: EvmCall, block: "latest" | "pending" = "latest"): Promise<bigint> {
    try {
      // The block is always named: a node's default ("pending") replays its whole mempool for
      // every estimate, which the worker asks for only to confirm a revert (see OutboxWorker).
      const tx = { ...(call.from !== undefined ? { from: call.from } : {}), to: call.to, data: call.data };
      return BigInt(await this.#batch.send("eth_estimateGas", [tx, block]));
    } catch (error) {
      throw this.#revert(error);
    }
  }

  async simulate(call: EvmCall, gas: bigint): Promise<void> {
    const tx = {
      ...(call.from !== undefined ? { from: call.from } : {}),
      to: call.to,
      data: call.data,
      gas: toQuantity(gas),
    };
    try {
      await this.#batch.send("eth_call", [tx, "latest"]);
    } catch (error) {
      throw this.#revert(error);
    }
  }

  async call(call: EvmCall): Promise<string> {
    try {
      return await this.#provider.call(call);
    } catch (error) {
      throw this.#revert(error);
    }
  }

  async predictProxy(factory: string, customerId: string, cold: string, hot: string): Promise<string> {
    const data = factoryAbi.encodeFunctionData("predictProxy", [customerId, cold, hot]);
    const [address] = factoryAbi.decodeFunctionResult("predictProxy", await this.call({ to: factory, data }));
    return getAddress(address as string);
  }

  async isProxy(factory: string, proxy: string): Promise<boolean> {
    const data = factoryAbi.encodeFunctionData("isProxy", [proxy]);
    const [yes] = factoryAbi.decodeFunctionResult("isProxy", await this.call({ to: factory, data }));
    return yes as boolean;
  }

  async logs(address: string, fromBlock: number, topic0?: readonly string[]): Promise<EvmLog[]> {
    const logs = await this.#provider.getLogs({
      address,
      fromBlock,
      toBlock: "latest",
      ...(topic0 ? { topics: [[...topic0]] } : {}),
    });
    return logs.map((l) => ({
      address: getAddress(l.address),
      topics: l.topics,
      data: l.data,
      blockNumber: l.blockNumber,
      transactionHash: l.transactionHash,
    }));
  }

  /** The hash of block `n`, or null when there is none (indexer reorg check). */
  async blockHash(n: number): Promise<string | null> {
    const block = (await this.#provider.send("eth_getBlockByNumber", [toQuantity(n), false])) as {
      hash?: string;
    } | null;
    return block?.hash ?? null;
  }

  /** Logs of any of `addresses` in `fromBlock..toBlock`, with block hash and log index (indexer read). */
  async logsInRange(
    addresses: readonly string[],
    fromBlock: number,
    toBlock: number,
  ): Promise<IndexedEvmLog[]> {
    if (addresses.length === 0) return [];
    const logs = await this.#provider.getLogs({ address: [...addresses], fromBlock, toBlock });
    return logs.map((l) => ({
      address: getAddress(l.address),
      topics: l.topics,
      data: l.data,
      blockNumber: l.blockNumber,
      blockHash: l.blockHash,
      transactionHash: l.transactionHash,
      logIndex: l.index,
    }));
  }

  /** Closes the provider's connections. */
  destroy(): void {
    this.#provider.destroy();
    this.#batch.destroy();
    this.#rpc.close();
  }

  #revert(error: unknown): Error {
    if (isCallException(error)) return new EvmRevertError(this.#reason(error));
    return error as Error;
  }

  #reason(error: unknown): string {
    if (!isCallException(error)) return isError(error, "UNKNOWN_ERROR") ? error.message : String(error);
    if (error.reason) return error.reason;
    const data = error.data;
    if (data && data.length >= 10) {
      const parsed = this.#errors.parseError(data);
      if (parsed) return `${parsed.name}(${parsed.args.map(String).join(", ")})`;
      return `custom error ${data.slice(0, 10)}`;
    }
    return "reverted without a reason";
  }
}
