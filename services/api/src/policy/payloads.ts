/**
 * Builds the services/policy `OperationPayload` (what approvers see and sign, and what the policy
 * evaluates) from what the governance and staking flows queue.
 */
import type { JsonValue } from "../../../shared/src/canonical-json.js";
import type { OperationPayload } from "../../../policy/src/operation-payload.js";

/** The EVM side: chain id, chief and the policy asset name of the governance token. */
export interface EvmPayloadContext {
  readonly chainId: bigint;
  readonly chief: string;
  /** Policy asset name of the governance token (`POLICY_EVM_ASSET`, default `mkr`). */
  readonly asset: string;
}

/**
 * The payload of a queued governance call (`kind` = `governance.<action>`).
 *
 * @throws {Error} for a kind this function does not know (a programming error, not input).
 */
export function evmPayload(
  ctx: EvmPayloadContext,
  op: {
    operationId: string;
    customerId: string;
    kind: string;
    to: string;
    intent: Record<string, JsonValue>;
  },
): OperationPayload {
  const base = {
    operationId: op.operationId,
    customerId: op.customerId,
    chain: "ethereum" as const,
    chainId: ctx.chainId.toString(),
    contract: op.to,
    asset: ctx.asset,
  };
  const i = op.intent;
  switch (op.kind) {
    case "governance.originate":
      return { ...base, action: "originate", args: { cold: String(i.cold), hot: String(i.hot) } };
    case "governance.lock":
    case "governance.free":
      return {
        ...base,
        action: op.kind === "governance.lock" ? "lock" : "free",
        args: { amount: { value: String(i.wad), unit: "wad" }, chief: ctx.chief },
      };
    case "governance.freeAll":
      return { ...base, action: "freeAll", args: { chief: ctx.chief } };
    case "governance.vote":
      return {
        ...base,
        action: "vote",
        args: {
          chief: ctx.chief,
          ...(Array.isArray(i.candidates) ? { candidates: i.candidates.map(String) } : {}),
          ...(typeof i.slate === "string" ? { slate: i.slate } : {}),
        },
      };
    default:
      throw new Error(`no policy payload for operation kind ${op.kind}`);
  }
}

/**
 * The payload of a queued staking intent.
 *
 * @throws {Error} for an unknown intent kind.
 */
export function tezosPayload(
  ctx: { readonly chainId: string },
  op: {
    operationId: string;
    customerId: string;
    intent:
      | { kind: "originate"; cold: string; hot: string }
      | { kind: "setDelegate"; contract: string; baker: string | null };
  },
): OperationPayload {
  const base = {
    operationId: op.operationId,
    customerId: op.customerId,
    chain: "tezos" as const,
    chainId: ctx.chainId,
    asset: "xtz",
  };
  const i = op.intent;
  if (i.kind === "originate")
    return { ...base, contract: i.hot, action: "originate", args: { cold: i.cold, hot: i.hot } };
  if (i.kind === "setDelegate")
    return { ...base, contract: i.contract, action: "delegate", args: { baker: i.baker } };
  throw new Error(`no policy payload for Tezos intent ${(i as { kind: string }).kind}`);
}
