import { ConfigError } from "../../../shared/src/errors.js";
import { SignerClient } from "../../../signer/src/client.js";
import { EthersEvmChain } from "../chains/ethers-evm-chain.js";
import type { ApiConfig } from "../config.js";
import { CONTRACT_ERRORS } from "./abi.js";
import { loadGovernanceSettings, type GovernanceRuntime } from "./settings.js";

/**
 * The governance runtime of a real process: settings from the environment, the chain at
 * `EVM_RPC_URL` and the signer at `SIGNER_URL`. Undefined when `EVM_FACTORY` is unset.
 *
 * @throws {ConfigError} on invalid EVM_* settings or when `SIGNER_TOKEN` is missing.
 */
export function governanceFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  config: ApiConfig,
): GovernanceRuntime | undefined {
  const settings = loadGovernanceSettings(env);
  if (!settings) return undefined;
  if (!config.signerToken) {
    throw new ConfigError([{ variable: "SIGNER_TOKEN", message: "is required when EVM_FACTORY is set" }]);
  }
  return {
    settings,
    chain: new EthersEvmChain(config.evmRpcUrl, CONTRACT_ERRORS),
    signer: new SignerClient({ url: config.signerUrl, token: config.signerToken }),
  };
}
