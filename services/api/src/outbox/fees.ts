import type { EvmFeeData } from "../chains/evm-chain.js";

/** EIP-1559 fee fields of one transaction. */
export interface Fees {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

/**
 * Fee caps for the next block: the chain's tip (capped), and twice the base fee plus the tip so
 * the transaction survives a few full blocks, never above the configured ceiling. Answers null
 * when the base fee alone is above the ceiling: the transaction would not be mined, so it waits.
 *
 * @example chooseFees({ baseFeePerGas: 10n, maxPriorityFeePerGas: 1n }, { maxFeePerGas: 100n, maxPriorityFeePerGas: 2n })
 */
export function chooseFees(chain: EvmFeeData, caps: Fees): Fees | null {
  if (chain.baseFeePerGas >= caps.maxFeePerGas) return null;
  const tip =
    chain.maxPriorityFeePerGas < caps.maxPriorityFeePerGas
      ? chain.maxPriorityFeePerGas
      : caps.maxPriorityFeePerGas;
  const wanted = chain.baseFeePerGas * 2n + tip;
  const maxFeePerGas = wanted < caps.maxFeePerGas ? wanted : caps.maxFeePerGas;
  return { maxFeePerGas, maxPriorityFeePerGas: tip < maxFeePerGas ? tip : maxFeePerGas };
}

/** Estimated gas plus a fifth as headroom, within the cap; null when even the estimate is above it. */
export function chooseGasLimit(estimate: bigint, cap: bigint): bigint | null {
  if (estimate > cap) return null;
  const padded = estimate + estimate / 5n;
  return padded < cap ? padded : cap;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** `value` raised by `bps` basis points, rounded up so a raise is never lost to rounding. */
export function raiseBy(value: bigint, bps: bigint): bigint {
  return value + (value * bps + 9_999n) / 10_000n;
}

/**
 * Fees of a replacement for a stuck transaction at the same nonce: each field raised by at least
 * `bps` basis points over the previous attempt (geth refuses a replacement that does not raise
 * both the fee cap and the tip by its price bump, 10 % by default; we ask 12.5 %, one full base-fee
 * step), or to what the chain asks now if that is more, never above the caps. Answers null when
 * the caps leave no room for a raise that large: the transaction then waits as it is.
 *
 * @example bumpFees({ maxFeePerGas: 100n, maxPriorityFeePerGas: 8n }, { baseFeePerGas: 1n, maxPriorityFeePerGas: 1n }, caps, 1250n)
 */
export function bumpFees(previous: Fees, chain: EvmFeeData, caps: Fees, bps: bigint): Fees | null {
  const neededFee = raiseBy(previous.maxFeePerGas, bps);
  const neededTip = raiseBy(previous.maxPriorityFeePerGas, bps);
  const fresh = chooseFees(chain, caps);
  let maxFeePerGas = min(max(neededFee, fresh?.maxFeePerGas ?? 0n), caps.maxFeePerGas);
  let maxPriorityFeePerGas = min(
    max(neededTip, fresh?.maxPriorityFeePerGas ?? 0n),
    caps.maxPriorityFeePerGas,
  );
  // A fee cap below the base fee cannot be mined: ask at least the base fee plus the tip.
  maxFeePerGas = min(max(maxFeePerGas, chain.baseFeePerGas + maxPriorityFeePerGas), caps.maxFeePerGas);
  maxPriorityFeePerGas = min(maxPriorityFeePerGas, maxFeePerGas);
  if (maxFeePerGas < neededFee || maxPriorityFeePerGas < neededTip) return null;
  return { maxFeePerGas, maxPriorityFeePerGas };
}
