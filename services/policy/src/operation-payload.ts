/**
 * The decoded payload of a hot operation, as approvers see it and sign it.
 *
 * `operationPayloadDigest` is the subject an operation approval signs (SHA-256 of the canonical
 * JSON of the validated payload); `describeOperation` is the human-readable summary the console
 * shows next to it. Both come from the same validated object, so what is shown is what is signed.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { z } from "zod";
import { canonicalJson } from "./canonical.js";
import { ApprovalInputError } from "./errors.js";
import { ACTIONS } from "./schema.js";
import type { Intent } from "./schema.js";
import { formatPath } from "./validate.js";

const address = z.string().regex(/^[A-Za-z0-9]{1,100}$/, "expected an address");
const decimal = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, "expected a decimal integer string in base units");

/** Units amounts are carried in: `wad` (10^-18 of a token), `mutez` (10^-6 tez). */
export const AMOUNT_UNITS = { wad: 18, mutez: 6 } as const;
export type AmountUnit = keyof typeof AMOUNT_UNITS;

/** The operation payload approvers sign. Amounts carry their unit. */
export const operationPayloadSchema = z.strictObject({
  operationId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/, "expected an operation id"),
  customerId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, "expected a customer id"),
  chain: z.enum(["ethereum", "tezos"]),
  /** EVM chain id in decimal, or a Tezos chain id (base58). */
  chainId: z.string().regex(/^[A-Za-z0-9]{1,80}$/, "expected a chain id"),
  /** The contract called: vote proxy, factory (originate) or delegation KT1. */
  contract: address,
  action: z.enum(ACTIONS),
  /** Approver id of the person who requested it, when known (no self-approval, also on the signer). */
  requestedBy: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "expected an approver id")
    .optional(),
  /** Policy asset name: `mkr`, `sky`, `xtz`, … */
  asset: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "expected an asset name"),
  args: z.strictObject({
    amount: z.strictObject({ value: decimal, unit: z.enum(["wad", "mutez"]) }).optional(),
    chief: address.optional(),
    candidates: z.array(address).max(100).optional(),
    slate: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, "expected a bytes32 slate")
      .optional(),
    /** `null` removes the delegate. */
    baker: address.nullable().optional(),
    cold: address.optional(),
    hot: address.optional(),
  }),
});

export type OperationPayload = z.infer<typeof operationPayloadSchema>;

/**
 * Validates an operation payload.
 *
 * @throws {ApprovalInputError} naming the first bad field (e.g. `args.amount.unit`).
 */
export function validateOperationPayload(input: unknown): OperationPayload {
  const parsed = operationPayloadSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue === undefined ? "payload" : formatPath(issue.path) || "payload";
    const field =
      issue?.code === "unrecognized_keys" ? `${path === "payload" ? "" : path + "."}${issue.keys[0]}` : path;
    throw new ApprovalInputError(
      field,
      "",
      issue?.code === "unrecognized_keys" ? "unknown field" : (issue?.message ?? "invalid"),
    );
  }
  return JSON.parse(JSON.stringify(parsed.data)) as OperationPayload;
}

/**
 * SHA-256 of the canonical JSON of the validated payload, 64 lowercase hex characters: the
 * `subject.digest` of an operation approval.
 *
 * @throws {ApprovalInputError} if the payload is malformed.
 * @example operationPayloadDigest({ operationId, customerId, chain: "ethereum", chainId: "1", contract, action: "lock", asset: "mkr", args: { amount: { value: "1", unit: "wad" } } })
 */
export function operationPayloadDigest(payload: unknown): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(validateOperationPayload(payload)))));
}

/**
 * Base units as a decimal number of whole units, without trailing zeros.
 *
 * @example formatUnits("12500000000000000000", 18) // "12.5"
 */
export function formatUnits(value: string, decimals: number): string {
  const digits = value.padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, "");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction === "" ? grouped : `${grouped}.${fraction}`;
}

const SYMBOLS: Readonly<Record<string, string>> = { mkr: "MKR", sky: "SKY", xtz: "ꜩ" };

const ACTION_TEXT: Readonly<Record<OperationPayload["action"], string>> = {
  originate: "originate a new custody contract",
  lock: "lock tokens in the chief (voting weight)",
  free: "free tokens from the chief (back to the proxy)",
  freeAll: "free all tokens from the chief",
  vote: "vote",
  delegate: "set the delegate (stake with a baker)",
  "withdrawal-preparation": "prepare a cold withdrawal",
};

/**
 * Human-readable summary lines of a payload, in a fixed order: chain, contract, action, amount
 * (with unit and symbol), chief, candidates or slate, baker, cold/hot keys, customer, operation.
 *
 * @throws {ApprovalInputError} if the payload is malformed.
 * @example describeOperation(p) // ["Chain: Ethereum (chain id 1)", "Contract: 0x…", "Action: lock …", "Amount: 12.5 MKR (12500000000000000000 wad)", …]
 */
export function describeOperation(payload: unknown): string[] {
  const p = validateOperationPayload(payload);
  const lines: string[] = [];
  const chainName = p.chain === "ethereum" ? "Ethereum" : "Tezos";
  lines.push(`Chain: ${chainName} (chain id ${p.chainId})`);
  lines.push(`Contract: ${p.contract}`);
  lines.push(`Action: ${p.action} (${ACTION_TEXT[p.action]})`);
  const a = p.args;
  if (a.amount !== undefined) {
    const symbol = SYMBOLS[p.asset] ?? p.asset.toUpperCase();
    const amount = formatUnits(a.amount.value, AMOUNT_UNITS[a.amount.unit]);
    lines.push(`Amount: ${amount} ${symbol} (${a.amount.value} ${a.amount.unit})`);
  }
  if (a.chief !== undefined) lines.push(`Chief: ${a.chief}`);
  if (a.candidates !== undefined) {
    lines.push(
      a.candidates.length === 0
        ? "Candidates: none (withdraws all support)"
        : `Candidates (${a.candidates.length}): ${a.candidates.join(", ")}`,
    );
  }
  if (a.slate !== undefined) lines.push(`Slate: ${a.slate}`);
  if (a.baker !== undefined) {
    lines.push(a.baker === null ? "Baker: none (removes the delegate)" : `Baker: ${a.baker}`);
  }
  if (a.cold !== undefined) lines.push(`Cold address: ${a.cold}`);
  if (a.hot !== undefined) lines.push(`Hot key: ${a.hot}`);
  lines.push(`Customer: ${p.customerId}`);
  if (p.requestedBy !== undefined) lines.push(`Requested by: ${p.requestedBy}`);
  lines.push(`Operation: ${p.operationId}`);
  return lines;
}

/**
 * The policy intent of a payload at time `at` (what `evaluate` decides on).
 *
 * @throws {ApprovalInputError} if the payload is malformed.
 */
export function payloadIntent(payload: unknown, at: string): Intent {
  const p = validateOperationPayload(payload);
  const a = p.args;
  return {
    id: p.operationId,
    action: p.action,
    customer: p.customerId,
    chain: p.chain,
    asset: p.asset,
    ...(a.amount !== undefined ? { amount: a.amount.value } : {}),
    ...(a.chief !== undefined ? { chief: a.chief } : {}),
    ...(a.candidates !== undefined ? { candidates: a.candidates } : {}),
    ...(a.slate !== undefined ? { slate: a.slate } : {}),
    ...(a.baker !== undefined ? { baker: a.baker } : {}),
    at,
  };
}
