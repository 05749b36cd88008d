import type { DelegationStatus } from "../../../../tezos/src/client.js";

/** What the hot key is asked to do on Tezos: originate a delegation contract or set its baker. */
export type TezosIntent =
  | { readonly kind: "originate"; readonly cold: string; readonly hot: string }
  | { readonly kind: "setDelegate"; readonly contract: string; readonly baker: string | null };

/** A forged operation and the hot key's signature over it, ready to inject (hex, no 0x). */
export interface SignedTezosOperation {
  readonly forgedBytes: string;
  readonly signature: string;
  readonly opHash: string;
  /** The head level when it was signed: the operation can only be included above it. */
  readonly signedAtLevel: number;
}

/** Where and how an injected operation landed. */
export interface TezosInclusion {
  readonly level: number;
  readonly applied: boolean;
  /** The node's error ids (and the contract's FAILWITH string first, when there is one). */
  readonly errors: readonly string[];
  /** KT1 addresses the operation originated. */
  readonly originated: readonly string[];
}

/**
 * The node refused the operation before anything was signed (simulation failed): an unknown
 * baker, an unchanged delegate, a contract FAILWITH. Retrying would give the same answer.
 */
export class TezosRefusalError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "TezosRefusalError";
  }
}

/** The Tezos node as the staking flow sees it. A Taquito implementation talks to any RPC. */
export interface TezosChain {
  /** The hot key's tz1 (asked of the signer). */
  hotAddress(): Promise<string>;
  /**
   * Simulates, forges and has the hot signer sign the intent; injects nothing.
   *
   * @throws {TezosRefusalError} when the node's simulation refuses it.
   * @throws SignerClientError when the signer refuses to sign.
   */
  sign(intent: TezosIntent, authorization?: unknown): Promise<SignedTezosOperation>;
  /**
   * Injects signed bytes; answers the operation hash.
   *
   * @throws {TezosRefusalError} when the node refuses the operation itself.
   */
  inject(op: { forgedBytes: string; signature: string }): Promise<string>;
  /** Looks for `opHash` in the blocks above `fromLevel`; null while it is not included. */
  findInclusion(opHash: string, fromLevel: number): Promise<TezosInclusion | null>;
  /** Balance, delegate and storage of a delegation contract, read from the node. */
  contractStatus(kt1: string): Promise<DelegationStatus>;
  /**
   * The head level. Optional: without it and {@link maxOperationsTtl} the outbox cannot tell an
   * expired branch and never re-forges.
   */
  headLevel?(): Promise<number>;
  /** Blocks an operation's branch stays valid for (`max_operations_time_to_live`). */
  maxOperationsTtl?(): Promise<number>;
}
