import { getAddress, isAddress } from "ethers";
import { z } from "zod";
import { parseEnv, setVariables } from "../../../shared/src/env.js";
import type { SignerClient } from "../../../signer/src/client.js";
import type { EvmChain } from "../chains/evm-chain.js";

/** Where the governance contracts are and what the outbox may spend on a transaction. */
export interface GovernanceSettings {
  readonly chainId: bigint;
  readonly factory: string;
  readonly implementation: string;
  readonly chief: string;
  readonly gov: string;
  /** The signer's key id of the EVM hot key. */
  readonly hotKeyId: string;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly maxGasLimit: bigint;
  /** Most candidates one vote may name (the chief's MAX_YAYS). */
  readonly maxCandidates: number;
  /** First block searched for proxy events. */
  readonly fromBlock: number;
}

/** What the governance flow reaches the world through; tests build it themselves. */
export interface GovernanceRuntime {
  readonly settings: GovernanceSettings;
  readonly chain: EvmChain;
  readonly signer: SignerClient;
}

const address = z
  .string()
  .refine((v) => isAddress(v), "must be an EVM address")
  .transform((v) => getAddress(v));
const uint = (fallback: string) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]{0,30})$/, "must be a decimal integer")
    .default(fallback)
    .transform((v) => BigInt(v));

const envSchema = z.object({
  EVM_CHAIN_ID: uint("31337"),
  EVM_FACTORY: address,
  EVM_IMPLEMENTATION: address,
  EVM_CHIEF: address,
  EVM_GOV: address,
  EVM_HOT_KEY_ID: z.string().min(1).default("evm-hot"),
  EVM_MAX_FEE_PER_GAS: uint("100000000000"),
  EVM_MAX_PRIORITY_FEE_PER_GAS: uint("2000000000"),
  EVM_MAX_GAS_LIMIT: uint("1000000"),
  EVM_MAX_CANDIDATES: z.coerce.number().int().min(1).max(100).default(5),
  EVM_FROM_BLOCK: z.coerce.number().int().min(0).default(0),
});

/**
 * Reads the governance settings from the environment; `undefined` when `EVM_FACTORY` is unset
 * (the governance routes then answer 503).
 *
 * @throws {ConfigError} naming every invalid variable.
 */
export function loadGovernanceSettings(
  env: Readonly<Record<string, string | undefined>>,
): GovernanceSettings | undefined {
  const cleaned = setVariables(env);
  if (cleaned.EVM_FACTORY === undefined) return undefined;
  const e = parseEnv(envSchema, cleaned);
  return {
    chainId: e.EVM_CHAIN_ID,
    factory: e.EVM_FACTORY,
    implementation: e.EVM_IMPLEMENTATION,
    chief: e.EVM_CHIEF,
    gov: e.EVM_GOV,
    hotKeyId: e.EVM_HOT_KEY_ID,
    maxFeePerGas: e.EVM_MAX_FEE_PER_GAS,
    maxPriorityFeePerGas: e.EVM_MAX_PRIORITY_FEE_PER_GAS,
    maxGasLimit: e.EVM_MAX_GAS_LIMIT,
    maxCandidates: e.EVM_MAX_CANDIDATES,
    fromBlock: e.EVM_FROM_BLOCK,
  };
}
