import { Interface, getAddress, type LogDescription } from "ethers";
import type { Database } from "../../../db/src/database.js";
import type { JsonValue } from "../../../shared/src/canonical-json.js";
import { VOTED_EVENT, parseProxyLog } from "../governance/proxy-logs.js";
import type { ChainReader } from "./block-window.js";
import type { ChainEventsRepository, NewChainEvent } from "./chain-events.repository.js";
import type { EvmLogSource } from "./sources.js";

/** Every event of `IVoteProxyFactory` and `IVoteProxy` (contracts/interfaces). */
export const indexedEventsInterface = new Interface([
  "event ProxyCreated(bytes32 customerId, address indexed proxy, address cold, address hot)",
  "event Locked(uint256 wad)",
  "event Freed(uint256 wad)",
  VOTED_EVENT,
  "event HotRotated(address indexed previousHot, address indexed newHot)",
  "event Rescued(address indexed token, uint256 amount)",
  "event EthRescued(uint256 amount)",
  "event ChiefIouApproved()",
]);

/** Event arguments as JSON: numbers as decimal strings, addresses checksummed. */
function argsOf(parsed: LogDescription): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  parsed.fragment.inputs.forEach((input, i) => {
    const value: unknown = parsed.args[i];
    out[input.name] =
      typeof value === "bigint"
        ? value.toString()
        : input.type === "address"
          ? getAddress(String(value))
          : String(value);
  });
  return out;
}

/**
 * Reads the factory's `ProxyCreated` logs and every event of the proxies it created (those already
 * indexed plus those created in the same range), whoever sent the transactions.
 */
export class EvmEventReader implements ChainReader {
  readonly chain = "evm" as const;

  constructor(
    private readonly source: EvmLogSource,
    private readonly factory: string,
    private readonly database: Database,
    private readonly repo: ChainEventsRepository,
  ) {}

  head(): Promise<number> {
    return this.source.blockNumber();
  }

  hashAt(block: number): Promise<string | null> {
    return this.source.blockHash(block);
  }

  async read(
    from: number,
    to: number,
  ): Promise<{ events: NewChainEvent[]; hashes: ReadonlyMap<number, string> }> {
    const created = await this.source.logsInRange([this.factory], from, to);
    const proxies = new Set(await this.repo.subjectsOf(this.database.db, "evm", "ProxyCreated"));
    const events: NewChainEvent[] = [];
    const hashes = new Map<number, string>();
    for (const log of created) {
      const parsed = indexedEventsInterface.parseLog({ topics: [...log.topics], data: log.data });
      if (parsed?.name !== "ProxyCreated") continue;
      const args = argsOf(parsed);
      const proxy = String(args["proxy"]);
      proxies.add(proxy);
      events.push(this.#event(log, proxy, parsed.name, args));
      hashes.set(log.blockNumber, log.blockHash);
    }
    for (const log of await this.source.logsInRange([...proxies], from, to)) {
      // The anonymous Voted is known by its shape, which only a proxy's own log may be trusted with.
      const parsed = parseProxyLog(indexedEventsInterface, log);
      // Only events of the proxy interface; anything else a proxy might log is not ours to decode.
      if (!parsed || parsed.name === "ProxyCreated") continue;
      events.push(this.#event(log, log.address, parsed.name, argsOf(parsed)));
      hashes.set(log.blockNumber, log.blockHash);
    }
    events.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
    return { events, hashes };
  }

  #event(
    log: {
      address: string;
      blockNumber: number;
      blockHash: string;
      transactionHash: string;
      logIndex: number;
    },
    subject: string,
    name: string,
    args: Record<string, JsonValue>,
  ): NewChainEvent {
    return {
      chain: "evm",
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      txHash: log.transactionHash,
      logIndex: log.logIndex,
      contract: log.address,
      subject,
      name,
      args,
    };
  }
}
