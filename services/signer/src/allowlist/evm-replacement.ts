/**
 * The replacement rule (decision 0963): at a nonce the signer has already signed, it signs again
 * only a fee bump of the very same call. Everything that decides what the transaction does
 * (chain, type, target, value, calldata, gas limit) must be identical to the last transaction
 * signed at that nonce, both fee fields must rise by at least 12.5 %, and a nonce is replaced a
 * bounded number of times. Only one transaction per nonce can ever be mined, so a replacement can
 * never add a second effect; it can only change the price of the one already authorised.
 */
import type { Transaction } from "ethers";
import { keccak256 } from "ethers";
import { PolicyRefusedError } from "../errors.js";

/** Replacements of one nonce the signer signs when nothing else is configured. */
export const DEFAULT_MAX_REPLACEMENTS = 10;

/** What the signer remembers of the last transaction it signed at one nonce. */
export interface SignedAtNonce {
  readonly nonce: bigint;
  readonly chainId: bigint;
  readonly type: number;
  /** Checksummed target. */
  readonly to: string;
  readonly value: bigint;
  /** keccak256 of the calldata: equality is all the rule needs, and it keeps the journal small. */
  readonly dataHash: string;
  readonly gasLimit: bigint;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  /** How many replacements of the first transaction at this nonce were signed (0 for the first). */
  readonly replacements: number;
}

/** The smallest fee a replacement may carry: `previous` × 112.5 %, rounded up. */
export function minimumReplacementFee(previous: bigint): bigint {
  return (previous * 1125n + 999n) / 1000n;
}

/**
 * The record of `tx` as the last transaction signed at its nonce.
 *
 * @param replacements 0 for a first signature, the previous count plus one for a replacement.
 */
export function signedRecord(tx: Transaction, replacements: number): SignedAtNonce {
  return {
    nonce: BigInt(tx.nonce),
    chainId: tx.chainId,
    type: tx.type ?? 2,
    // ethers checksums `to` when it decodes it; contract creations are refused before this.
    to: tx.to!,
    value: tx.value,
    dataHash: keccak256(tx.data),
    gasLimit: tx.gasLimit,
    maxFeePerGas: tx.maxFeePerGas ?? 0n,
    maxPriorityFeePerGas: tx.maxPriorityFeePerGas ?? 0n,
    replacements,
  };
}

function refuse(field: string, value: string, message: string): never {
  throw new PolicyRefusedError("EVM_NONCE_REPLACEMENT_REFUSED", message, field, value);
}

/**
 * Decides whether `tx`, at a nonce below the next expected one, is an acceptable replacement of
 * `previous` (the last transaction signed at that nonce), and answers the record to journal if
 * it is. The caller has already applied every allowlist rule and fee cap to `tx`.
 *
 * @throws {PolicyRefusedError} `EVM_NONCE_REPLAY` when nothing is remembered at the nonce (older
 *   than the retention window, or skipped over by a resync) or when `tx` is byte for byte the
 *   transaction already signed; `EVM_NONCE_REPLACEMENT_REFUSED` naming the first field that
 *   differs, the fee field below 112.5 %, or `replacements` when the count limit is reached.
 * @example const record = checkReplacement(journal.get(chainId, signer, 7n), tx, 7n, 12n, 10);
 */
export function checkReplacement(
  previous: SignedAtNonce | undefined,
  tx: Transaction,
  nonce: bigint,
  expectedNonce: bigint,
  maxReplacements: number,
): SignedAtNonce {
  if (previous === undefined || previous.nonce !== nonce) {
    throw new PolicyRefusedError(
      "EVM_NONCE_REPLAY",
      `nonce ${nonce} already used; next is ${expectedNonce}`,
      "nonce",
      nonce.toString(),
    );
  }
  const next = signedRecord(tx, previous.replacements + 1);
  const same = (a: bigint | number | string, b: bigint | number | string): boolean => a === b;
  // The order is the order of the message a caller most needs: what the call is, then its price.
  const identity: [string, bigint | number | string, bigint | number | string][] = [
    ["chainId", previous.chainId, next.chainId],
    ["type", previous.type, next.type],
    ["to", previous.to, next.to],
    ["value", previous.value, next.value],
    ["data", previous.dataHash, next.dataHash],
    ["gasLimit", previous.gasLimit, next.gasLimit],
  ];
  for (const [field, before, now] of identity) {
    if (!same(before, now)) {
      refuse(
        field,
        String(now),
        `nonce ${nonce} was signed with ${field} ${String(before)}; a replacement must keep it (got ${String(now)})`,
      );
    }
  }
  if (
    next.maxFeePerGas === previous.maxFeePerGas &&
    next.maxPriorityFeePerGas === previous.maxPriorityFeePerGas
  ) {
    throw new PolicyRefusedError(
      "EVM_NONCE_REPLAY",
      `nonce ${nonce} already signed for exactly this transaction; next is ${expectedNonce}`,
      "nonce",
      nonce.toString(),
    );
  }
  if (previous.replacements >= maxReplacements) {
    refuse(
      "replacements",
      String(previous.replacements),
      `nonce ${nonce} was already replaced ${previous.replacements} times (limit ${maxReplacements})`,
    );
  }
  const fees: [string, bigint, bigint][] = [
    ["maxFeePerGas", previous.maxFeePerGas, next.maxFeePerGas],
    ["maxPriorityFeePerGas", previous.maxPriorityFeePerGas, next.maxPriorityFeePerGas],
  ];
  for (const [field, before, now] of fees) {
    const needed = minimumReplacementFee(before);
    if (now < needed) {
      refuse(
        field,
        now.toString(),
        `${field} ${now} is below 112.5 % of the ${before} signed at nonce ${nonce} (needs at least ${needed})`,
      );
    }
  }
  return next;
}
