import { encodeKeyHash } from "@taquito/utils";
import { isNotNull } from "drizzle-orm";
import type { Database } from "../../../db/src/database.js";
import { stakingContracts } from "../../../db/src/schema.js";
import type { JsonValue } from "../../../shared/src/canonical-json.js";
import type { ChainReader } from "./block-window.js";
import type { ChainEventsRepository, NewChainEvent } from "./chain-events.repository.js";
import type { TezosBlockSource, TezosContentLike } from "./sources.js";

/** A key hash parameter as the node shows it: `{ string }` or the optimised `{ bytes }` form. */
function keyHashOf(value: unknown): string | null {
  const v = value as { string?: string; bytes?: string } | undefined;
  if (typeof v?.string === "string") return v.string;
  if (typeof v?.bytes === "string") return encodeKeyHash(v.bytes);
  return null;
}

/** `%set_delegate`'s `option key_hash`: `Some kh` or `None`. */
function optionKeyHashOf(value: unknown): string | null {
  const v = value as { prim?: string; args?: unknown[] } | undefined;
  return v?.prim === "Some" ? keyHashOf(v.args?.[0]) : null;
}

/** What a call to a delegation contract means, by entrypoint (tezos/contracts/delegation.tz). */
function decodeCall(content: TezosContentLike): { name: string; args: Record<string, JsonValue> } {
  const entrypoint = content.parameters?.entrypoint ?? "default";
  const value = content.parameters?.value;
  const source = content.source ?? null;
  switch (entrypoint) {
    case "set_delegate":
      return { name: "DelegateSet", args: { delegate: optionKeyHashOf(value), sender: source } };
    case "withdraw":
      return {
        name: "Withdrawn",
        args: { amountMutez: String((value as { int?: string }).int), sender: source },
      };
    case "rotate_hot":
      return { name: "HotRotated", args: { newHot: keyHashOf(value), sender: source } };
    default:
      return { name: "Deposited", args: { amountMutez: content.amount ?? "0", sender: source } };
  }
}

/**
 * Reads Tezos blocks for the delegation contracts: originations signed by the hot key, and every
 * applied call to a known contract (delegate changes, withdrawals, hot rotations, deposits),
 * whoever sent it. Known contracts: those whose origination was indexed and those the staking
 * flow recorded.
 */
export class TezosEventReader implements ChainReader {
  readonly chain = "tezos" as const;
  #hot: string | undefined;

  constructor(
    private readonly source: TezosBlockSource,
    private readonly database: Database,
    private readonly repo: ChainEventsRepository,
  ) {}

  head(): Promise<number> {
    return this.source.headLevel();
  }

  hashAt(level: number): Promise<string | null> {
    return this.source.blockHashAt(level);
  }

  async read(
    from: number,
    to: number,
  ): Promise<{ events: NewChainEvent[]; hashes: ReadonlyMap<number, string> }> {
    this.#hot ??= await this.source.hotAddress();
    const known = new Set(await this.repo.subjectsOf(this.database.db, "tezos", "Originated"));
    const recorded = await this.database.db
      .select({ address: stakingContracts.contractAddress })
      .from(stakingContracts)
      .where(isNotNull(stakingContracts.contractAddress));
    for (const r of recorded) if (r.address) known.add(r.address);
    const events: NewChainEvent[] = [];
    const hashes = new Map<number, string>();
    for (let level = from; level <= to; level++) {
      const block = await this.source.blockAt(level);
      hashes.set(level, block.hash);
      for (const group of block.operations) {
        for (const op of group) {
          op.contents.forEach((raw, index) => {
            const content = raw as TezosContentLike;
            const result = content.metadata?.operation_result;
            if (result?.status !== "applied") return;
            const base = {
              chain: "tezos" as const,
              blockNumber: level,
              blockHash: block.hash,
              txHash: op.hash,
              logIndex: index,
            };
            if (content.kind === "origination" && content.source === this.#hot) {
              for (const kt1 of result.originated_contracts ?? []) {
                known.add(kt1);
                events.push({
                  ...base,
                  contract: kt1,
                  subject: kt1,
                  name: "Originated",
                  args: { originator: this.#hot ?? null },
                });
              }
            } else if (
              content.kind === "transaction" &&
              content.destination &&
              known.has(content.destination)
            ) {
              const { name, args } = decodeCall(content);
              events.push({
                ...base,
                contract: content.destination,
                subject: content.destination,
                name,
                args,
              });
            }
          });
        }
      }
    }
    return { events, hashes };
  }
}
