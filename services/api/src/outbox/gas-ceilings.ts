/**
 * Gas limits the worker signs governance calls with when one simulation at that limit succeeds,
 * instead of asking the node to search for the exact figure (an `eth_estimateGas` is several
 * executions, a simulation at a fixed limit is one). A call that reverts at its ceiling, or has
 * none, is estimated as before, so a ceiling that turns out too low costs time, never a failure.
 *
 * The figures are about 1.6–2× what the calls cost on DSChief v1.2 (bench/results/gas.json):
 * only the gas used is paid, the limit only has to be covered by the hot key's balance.
 */
import type { Interface } from "ethers";
import { factoryInterface as factory, proxyInterface as proxy } from "../governance/abi.js";

const selector = (i: Interface, signature: string): string => i.getFunction(signature)!.selector;

const FIXED = new Map<string, bigint>([
  [selector(proxy, "lock(uint256)"), 300_000n],
  [selector(proxy, "free(uint256)"), 250_000n],
  [selector(proxy, "freeAll()"), 250_000n],
  [selector(proxy, "vote(bytes32)"), 150_000n],
  [selector(factory, "createProxy(bytes32,address,address)"), 250_000n],
]);
const VOTE_SLATE = selector(proxy, "vote(address[])");
/** A new slate stores every candidate; an existing one costs less than the base alone. */
const VOTE_BASE = 100_000n;
const VOTE_PER_CANDIDATE = 60_000n;

/**
 * The ceiling for `data` (calldata of a proxy or factory call), or null when the call is not one
 * the table knows (the worker then estimates it).
 *
 * @example gasCeilingOf(proxyInterface.encodeFunctionData("lock", [1n])) === 300_000n
 */
export function gasCeilingOf(data: string): bigint | null {
  const head = data.slice(0, 10).toLowerCase();
  const fixed = FIXED.get(head);
  if (fixed !== undefined) return fixed;
  if (head !== VOTE_SLATE || data.length < 138) return null;
  // vote(address[]): the array's length is the word after its offset.
  const count = BigInt("0x" + data.slice(74, 138));
  return count > 32n ? null : VOTE_BASE + VOTE_PER_CANDIDATE * count;
}
