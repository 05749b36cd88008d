/**
 * Settings of the policy lifecycle and enforcement, read from the environment.
 *
 * - `POLICY_GENESIS_FILE`: JSON file with the genesis quorum (`{ approvers: [{ id, publicKeys?,
 *   passkeys? }], threshold, webauthn? }`), the same file the hot signer pins. Without it no
 *   version can ever be activated.
 * - `POLICY_ENFORCEMENT`: `on` (default) or `off`. `off` is a development/test escape hatch:
 *   intents are queued without evaluation, and it is logged loudly at start.
 * - `POLICY_EVM_ASSET` (default `mkr`), `POLICY_TEZOS_CHAIN_ID` (default `tezossandbox`): what the
 *   payload approvers sign names as the asset and the Tezos chain.
 * - `POLICY_REQUESTER_APPROVERS`: `apiKeyId=approverId,…`, so a person's own API key cannot
 *   request what they would approve (no self-approval).
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "../../../shared/src/errors.js";
import { validateGenesis, type GenesisQuorum } from "../../../policy/src/quorum.js";

export interface PolicySettings {
  /** Pinned genesis quorum (activates version 1); `null` means nothing can be activated. */
  readonly genesis: GenesisQuorum | null;
  readonly enforcement: "on" | "off";
  /** API key id -> approver id of the person holding it. */
  readonly requesterApprovers: ReadonlyMap<string, string>;
  /** Push every newly activated chain to the hot signer (`SIGNER_URL`). */
  readonly pushToSigner: boolean;
  /** Policy asset name of the EVM governance token (`POLICY_EVM_ASSET`, default `mkr`). */
  readonly evmAsset?: string;
  /** Tezos chain id shown to approvers (`POLICY_TEZOS_CHAIN_ID`, default `tezos-sandbox`). */
  readonly tezosChainId?: string;
}

/**
 * Parses and checks a genesis quorum JSON text.
 *
 * @throws {ConfigError} naming `variable` when the text is not a genesis quorum.
 */
export function parseGenesis(text: string, variable: string): GenesisQuorum {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([{ variable, message: `not JSON: ${(error as Error).message}` }]);
  }
  const g = value as Partial<GenesisQuorum> | null;
  const ok =
    g !== null &&
    typeof g === "object" &&
    Array.isArray(g.approvers) &&
    g.approvers.length > 0 &&
    g.approvers.every(
      (a) => typeof a?.id === "string" && (Array.isArray(a.publicKeys) || Array.isArray(a.passkeys)),
    ) &&
    Number.isSafeInteger(g.threshold) &&
    (g.threshold ?? 0) >= 1 &&
    (g.threshold ?? 0) <= g.approvers.length;
  if (!ok) {
    throw new ConfigError([
      {
        variable,
        message: "expected { approvers: [{ id, publicKeys?, passkeys? }], threshold (1..approvers) }",
      },
    ]);
  }
  try {
    return validateGenesis(g as GenesisQuorum);
  } catch (error) {
    throw new ConfigError([{ variable, message: (error as Error).message }]);
  }
}

/**
 * Reads the policy settings from `env`.
 *
 * @throws {ConfigError} naming the bad variable.
 */
export function policySettingsFromEnv(env: Readonly<Record<string, string | undefined>>): PolicySettings {
  const enforcement = env.POLICY_ENFORCEMENT ?? "on";
  if (enforcement !== "on" && enforcement !== "off") {
    throw new ConfigError([{ variable: "POLICY_ENFORCEMENT", message: "must be on or off" }]);
  }
  let genesis: GenesisQuorum | null = null;
  if (env.POLICY_GENESIS_FILE) {
    let text: string;
    try {
      text = readFileSync(env.POLICY_GENESIS_FILE, "utf8");
    } catch (error) {
      throw new ConfigError([{ variable: "POLICY_GENESIS_FILE", message: (error as Error).message }]);
    }
    genesis = parseGenesis(text, "POLICY_GENESIS_FILE");
  }
  const requesterApprovers = new Map<string, string>();
  for (const pair of (env.POLICY_REQUESTER_APPROVERS ?? "").split(",").filter((p) => p.trim() !== "")) {
    const [key, approver] = pair.split("=").map((s) => s.trim());
    if (!key || !approver) {
      throw new ConfigError([
        { variable: "POLICY_REQUESTER_APPROVERS", message: "expected apiKeyId=approverId,…" },
      ]);
    }
    requesterApprovers.set(key, approver);
  }
  return {
    genesis,
    enforcement,
    requesterApprovers,
    pushToSigner: env.POLICY_PUSH_TO_SIGNER !== "off",
    evmAsset: env.POLICY_EVM_ASSET ?? "mkr",
    tezosChainId: env.POLICY_TEZOS_CHAIN_ID ?? "tezossandbox",
  };
}
