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
