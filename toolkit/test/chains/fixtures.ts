// Shared keys and builders for the chain tests. Keys are fixed so failures are reproducible;
// they protect nothing.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import { BurnRegistry } from "../../src/chains/burn-registry.js";
import { addressFromPrivateKey } from "../../src/chains/evm/address.js";
import { b58cEncode, encodePublicKey, tz1FromPublicKey } from "../../src/chains/tezos/base58.js";

export const EVM_KEY = Uint8Array.from(
  Buffer.from("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", "hex"),
);
export const EVM_FROM = addressFromPrivateKey(EVM_KEY);
export const EVM_SUCCESSOR_KEY = Uint8Array.from(Buffer.alloc(32, 7));
export const EVM_SUCCESSOR = addressFromPrivateKey(EVM_SUCCESSOR_KEY);
export const OTHER_EVM_KEY = Uint8Array.from(Buffer.alloc(32, 9));
export const PROXY = "0x1111111111111111111111111111111111111111";
export const TOKEN = "0x6B175474E89094C44Da98b954EedeAC495271d0F";
export const STRANGER = "0x000000000000000000000000000000000000dEaD";

export const TEZOS_SEED = Uint8Array.from(
  Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex"),
);
export const TEZOS_PK = ed25519.getPublicKey(TEZOS_SEED);
export const TEZOS_EDPK = encodePublicKey(TEZOS_PK);
export const TEZOS_SOURCE = tz1FromPublicKey(TEZOS_PK);
export const TEZOS_SUCCESSOR_SEED = Uint8Array.from(Buffer.alloc(32, 3));
export const TEZOS_SUCCESSOR = tz1FromPublicKey(ed25519.getPublicKey(TEZOS_SUCCESSOR_SEED));
export const KT1 = "KT1PWx2mnDueood7fEmfbBDKx1D9BAnnXitn";
export const OTHER_KT1 = b58cEncode("KT1", new Uint8Array(20).fill(5));
export const TEZOS_STRANGER = "tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx";
export const BRANCH = "BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2";
export const MAINNET = "NetXdQprcVkpaWU";

/** A registry in a fresh temporary directory. */
export function freshRegistry(): BurnRegistry {
  return BurnRegistry.open(join(mkdtempSync(join(tmpdir(), "coldpath-burn-")), "burn-registry.jsonl"));
}

/** An ERC-20 transfer transaction input from the cold address. */
export function transferTx(overrides: Record<string, unknown> = {}): {
  chainId: string;
  nonce: string;
  maxPriorityFeePerGas: string;
  maxFeePerGas: string;
  gasLimit: string;
  to: string;
  value: string;
  data: string;
} {
  return {
    chainId: "1",
    nonce: "0",
    maxPriorityFeePerGas: "1000000000",
    maxFeePerGas: "30000000000",
    gasLimit: "100000",
    to: TOKEN,
    value: "0",
    data: "0x",
    ...overrides,
  } as never;
}

/** A Tezos operation input: %withdraw on the delegation contract. */
export function withdrawOperation(amount = "2500000", destination = KT1) {
  return {
    branch: BRANCH,
    contents: [
      {
        kind: "transaction" as const,
        source: TEZOS_SOURCE,
        fee: "1500",
        counter: "42",
        gasLimit: "5000",
        storageLimit: "0",
        amount: "0",
        destination,
        parameters: { entrypoint: "withdraw", value: { int: amount } },
      },
    ],
  };
}

/** A plain tz1 → tz1 transfer. */
export function transferOperation(destination = TEZOS_SUCCESSOR, amount = "1000000") {
  return {
    branch: BRANCH,
    contents: [
      {
        kind: "transaction" as const,
        source: TEZOS_SOURCE,
        fee: "400",
        counter: "43",
        gasLimit: "1000",
        storageLimit: "277",
        amount,
        destination,
      },
    ],
  };
}

/** The same batch preceded by the reveal a never-used tz1 needs (what its first signature looks like). */
export function revealed(op: { branch: string; contents: readonly Record<string, unknown>[] }) {
  const first = op.contents[0] as { counter: string };
  return {
    branch: op.branch,
    contents: [
      {
        kind: "reveal" as const,
        source: TEZOS_SOURCE,
        fee: "400",
        counter: (BigInt(first.counter) - 1n).toString(),
        gasLimit: "1000",
        storageLimit: "0",
        publicKey: TEZOS_EDPK,
      },
      ...op.contents,
    ],
  } as never;
}
