/**
 * Accounts of the sandbox ledger. Records are replaced, never mutated in place, so a snapshot
 * (a shallow copy of the maps) is enough to backtrack a failed operation group.
 */
import type { Micheline } from "../michelson/index.js";
import type { LoadedScript } from "./engine.js";

/** An implicit (tz1) account. It exists while its balance is positive or it is a delegate. */
export interface ImplicitAccount {
  readonly kind: "implicit";
  readonly address: string;
  readonly balance: bigint;
  readonly counter: bigint;
  readonly publicKey?: string;
  readonly delegate?: string;
}

/** An originated (KT1) contract. */
export interface OriginatedAccount {
  readonly kind: "originated";
  readonly address: string;
  readonly balance: bigint;
  readonly delegate?: string;
  readonly code: Micheline;
  readonly storage: Micheline;
  readonly script: LoadedScript;
  /** Bytes of code + storage already paid for (`paid_storage_size`). */
  readonly paidStorageSize: bigint;
  /** Current bytes of code + storage (`used_space`). */
  readonly usedStorageSize: bigint;
}

export type Account = ImplicitAccount | OriginatedAccount;

/** The whole mutable state of the chain, copied cheaply for backtracking. */
export class LedgerState {
  constructor(
    readonly accounts: Map<string, Account> = new Map(),
    readonly delegates: Set<string> = new Set(),
    public globalCounter: bigint = 0n,
  ) {}

  snapshot(): LedgerState {
    return new LedgerState(new Map(this.accounts), new Set(this.delegates), this.globalCounter);
  }

  /** Makes this state equal to `other` (used to restore a snapshot in place). */
  restore(other: LedgerState): void {
    this.accounts.clear();
    for (const [k, v] of other.accounts) this.accounts.set(k, v);
    this.delegates.clear();
    for (const d of other.delegates) this.delegates.add(d);
    this.globalCounter = other.globalCounter;
  }

  get(address: string): Account | undefined {
    return this.accounts.get(address);
  }

  implicit(address: string): ImplicitAccount | undefined {
    const a = this.accounts.get(address);
    return a?.kind === "implicit" ? a : undefined;
  }

  originated(address: string): OriginatedAccount | undefined {
    const a = this.accounts.get(address);
    return a?.kind === "originated" ? a : undefined;
  }

  put(account: Account): void {
    // An implicit account with no tez that is not a delegate is removed, as in the protocol:
    // its counter and revealed key are forgotten.
    if (account.kind === "implicit" && account.balance === 0n && !this.delegates.has(account.address)) {
      this.accounts.delete(account.address);
      return;
    }
    this.accounts.set(account.address, account);
  }

  /** Creates an implicit account record; new accounts start at the global counter. */
  freshImplicit(address: string): ImplicitAccount {
    return { kind: "implicit", address, balance: 0n, counter: this.globalCounter };
  }
}
