import { z } from "zod";
import { ConfigError } from "../../../shared/src/errors.js";
import { parseEnv, setVariables } from "../../../shared/src/env.js";
import { SignerClient } from "../../../signer/src/client.js";
import { TaquitoTezosChain } from "../chains/tezos-taquito-chain.js";
import type { TezosChain } from "../chains/tezos-chain.js";
import type { ApiConfig } from "../config.js";

/** What the staking flow reaches the world through; tests build it themselves. */
export interface StakingRuntime {
  readonly chain: TezosChain;
}

const envSchema = z.object({
  TEZOS_STAKING: z.enum(["on", "off"], { error: "must be on or off" }).default("off"),
  TEZOS_HOT_KEY_ID: z.string().min(1).max(64).default("tezos-hot"),
});

/**
 * The staking runtime of a real process: the node at `TEZOS_RPC_URL` and the hot signer at
 * `SIGNER_URL`. Undefined unless `TEZOS_STAKING=on` (the staking routes then answer 503).
 *
 * @throws {ConfigError} naming every invalid variable, or `SIGNER_TOKEN` when it is missing.
 */
export function stakingFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  config: ApiConfig,
): StakingRuntime | undefined {
  const e = parseEnv(envSchema, setVariables(env));
  if (e.TEZOS_STAKING === "off") return undefined;
  if (!config.signerToken) {
    throw new ConfigError([{ variable: "SIGNER_TOKEN", message: "is required when TEZOS_STAKING=on" }]);
  }
  const signer = new SignerClient({ url: config.signerUrl, token: config.signerToken });
  return { chain: new TaquitoTezosChain(config.tezosRpcUrl, signer, e.TEZOS_HOT_KEY_ID) };
}
