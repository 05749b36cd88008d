/** Injection tokens of the policy area. */
export const POLICY_SETTINGS = Symbol("POLICY_SETTINGS");
/** Optional: pushes an activated policy chain to the hot signer (see signer-push.ts). */
export const POLICY_CHAIN_SINK = Symbol("POLICY_CHAIN_SINK");
