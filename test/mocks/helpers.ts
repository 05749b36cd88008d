// Shared helpers for the tests of the local chief and token doubles.
import type { ContractTransactionResponse, TransactionReceipt } from "ethers";
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

/**
 * The first four signers as a tuple, so tests can name them without undefined checks.
 *
 * @throws if the network has fewer than four accounts.
 */
export async function fourSigners(
  ethers: HardhatEthers,
): Promise<[HardhatEthersSigner, HardhatEthersSigner, HardhatEthersSigner, HardhatEthersSigner]> {
  const [a, b, c, d] = await ethers.getSigners();
  if (a === undefined || b === undefined || c === undefined || d === undefined) {
    throw new Error("the test network needs at least four accounts");
  }
  return [a, b, c, d];
}

/** Gas limit for transactions sent while automine is off, when estimation would see a stale state. */
export const FIXED_GAS = 1_000_000n;

/**
 * Sorts addresses into the strictly increasing byte order both chiefs require of a slate.
 *
 * @example byteOrdered([b, a]) // [a, b] when a < b as 160-bit numbers
 */
export function byteOrdered(addresses: readonly string[]): string[] {
  return [...addresses].sort((x, y) => {
    const a = BigInt(x);
    const b = BigInt(y);
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** Slate id as both chiefs compute it: keccak256 of the packed 32-byte-padded address array. */
export function slateOf(ethers: HardhatEthers, yays: readonly string[]): string {
  return ethers.solidityPackedKeccak256(["address[]"], [yays]);
}

/** `count` distinct addresses in byte order, for slate-size boundary tests. */
export function orderedCandidates(ethers: HardhatEthers, count: number): string[] {
  const addresses = Array.from({ length: count }, (_, i) =>
    ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(0x1000 + i), 20)),
  );
  return byteOrdered(addresses);
}

/**
 * Sends every transaction with automine off, mines them into one block and returns their receipts
 * in sending order (status 0 = reverted). Callers must pass `{ gasLimit: FIXED_GAS }`: estimating
 * against the last mined block would see none of the earlier transactions of the same block.
 *
 * @throws if the transactions did not land in a single block.
 */
export async function inOneBlock(
  ethers: HardhatEthers,
  sends: ReadonlyArray<() => Promise<ContractTransactionResponse>>,
): Promise<TransactionReceipt[]> {
  await ethers.provider.send("evm_setAutomine", [false]);
  const hashes: string[] = [];
  try {
    for (const send of sends) {
      hashes.push((await send()).hash);
    }
    await ethers.provider.send("evm_mine", []);
  } finally {
    await ethers.provider.send("evm_setAutomine", [true]);
  }
  const receipts: TransactionReceipt[] = [];
  for (const hash of hashes) {
    const receipt = await ethers.provider.getTransactionReceipt(hash);
    if (receipt === null) throw new Error(`transaction ${hash} was not mined`);
    receipts.push(receipt);
  }
  const blocks = new Set(receipts.map((r) => r.blockNumber));
  if (blocks.size !== 1) throw new Error(`expected one block, got ${[...blocks].join(",")}`);
  return receipts;
}
