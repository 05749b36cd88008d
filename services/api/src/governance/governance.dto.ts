import { ApiProperty, ApiPropertyOptional } from "@nestjs/swagger";
import { z } from "zod";
import { parseChecksummedAddress } from "../../../shared/src/addresses.js";
import { ValidationError } from "../../../shared/src/errors.js";

const UINT256_MAX = (1n << 256n) - 1n;

/**
 * Parses an amount in base units given as a decimal string: digits only, no sign, no leading
 * zeros, no exponent, positive and at most 2^256 - 1.
 *
 * @throws {ValidationError} `invalid_amount` (not a decimal string, zero) or `amount_too_large`.
 * @example parseWad("1000000000000000000", "wad") // 10n ** 18n
 */
export function parseWad(value: string, field: string): bigint {
  if (!/^(0|[1-9][0-9]*)$/.test(value)) {
    throw new ValidationError(
      "invalid_amount",
      field,
      `'${value.slice(0, 80)}' is not a non-negative decimal integer in base units`,
    );
  }
  // 78 digits already exceed 2^256; refuse before building a huge bigint.
  if (value.length > 78 || BigInt(value) > UINT256_MAX) {
    throw new ValidationError("amount_too_large", field, "must be at most 2^256 - 1");
  }
  const wad = BigInt(value);
  if (wad === 0n) throw new ValidationError("invalid_amount", field, "must be greater than zero");
  return wad;
}

/** Bodies of the routes that take none: `{}` or an empty body. */
export const emptyBodySchema = z.strictObject({});

export const amountBodySchema = z.strictObject({
  wad: z.string({ error: "must be a decimal string" }).max(100, "must be at most 100 characters"),
});

export const candidatesBodySchema = z.strictObject({
  candidates: z
    .array(z.string({ error: "must be an address string" }).max(42, "must be at most 42 characters"), {
      error: "must be an array of addresses",
    })
    .min(1, "must name at least one candidate")
    .max(100, "must name at most 100 candidates"),
});

export const slateBodySchema = z.strictObject({
  slate: z
    .string({ error: "must be a 0x-prefixed 32-byte hex string" })
    .max(66, "must be at most 66 characters"),
});

/** Most accepted addresses remembered by {@link checkedAddress}. */
const CHECKED_ADDRESSES_SIZE = 4_096;
const checkedAddresses = new Map<string, string>();

/**
 * `parseChecksummedAddress`, remembering accepted inputs: the EIP-55 check is a keccak per
 * address, and the same few candidates come back request after request. The answer depends on
 * the input string alone; refused inputs are checked (and named) every time.
 */
function checkedAddress(value: string, field: string): string {
  const known = checkedAddresses.get(value);
  if (known !== undefined) return known;
  const parsed = parseChecksummedAddress(value, field);
  if (checkedAddresses.size >= CHECKED_ADDRESSES_SIZE) {
    checkedAddresses.delete(checkedAddresses.keys().next().value!);
  }
  checkedAddresses.set(value, parsed);
  return parsed;
}

export type VoteInput = { kind: "candidates"; candidates: string[] } | { kind: "slate"; slate: string };

/**
 * Checks a vote body beyond its shape: checksummed, distinct candidates within the chief's limit
 * (sorted ascending, as the chief requires) or a 32-byte slate.
 *
 * @throws {ValidationError} naming `candidates`, `candidates.N` or `slate`.
 */
export function parseVote(
  body: z.infer<typeof candidatesBodySchema> | z.infer<typeof slateBodySchema>,
  maxCandidates: number,
): VoteInput {
  if ("slate" in body) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(body.slate)) {
      throw new ValidationError("invalid_slate", "slate", "must be a 0x-prefixed 32-byte hex string");
    }
    return { kind: "slate", slate: body.slate.toLowerCase() };
  }
  if (body.candidates.length > maxCandidates) {
    throw new ValidationError("too_long", "candidates", `must name at most ${maxCandidates} candidates`);
  }
  const parsed = body.candidates.map((c, i) => checkedAddress(c, `candidates.${i}`));
  const seen = new Set<string>();
  parsed.forEach((c, i) => {
    if (seen.has(c.toLowerCase()))
      throw new ValidationError("duplicate_candidate", `candidates.${i}`, `'${c}' is named twice`);
    seen.add(c.toLowerCase());
  });
  // The chief refuses a slate that is not strictly ascending; sorting keeps the request's meaning.
  const sorted = [...parsed].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  return { kind: "candidates", candidates: sorted };
}

/**
 * Tells which of the two vote forms a body is, naming the problem when it is neither: not an
 * object, an unknown field, or both or none of `candidates` and `slate`.
 */
export function voteShapeError(body: unknown): ValidationError | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return new ValidationError("invalid_type", "body", "expected a JSON object");
  }
  const keys = Object.keys(body);
  const unknown = keys.find((k) => k !== "candidates" && k !== "slate");
  if (unknown !== undefined) {
    return new ValidationError("unknown_field", unknown, `unknown field '${unknown}' is not accepted`);
  }
  if (keys.length !== 1) {
    return new ValidationError("invalid_value", "body", "give exactly one of 'candidates' or 'slate'");
  }
  return undefined;
}

export class AmountRequest {
  @ApiProperty({ type: String, description: "amount in base units, decimal", example: "1000000000000000000" })
  wad!: string;
}

export class VoteRequest {
  @ApiPropertyOptional({ type: [String], description: "EIP-55 candidate addresses (or give `slate`)" })
  candidates?: string[];
  @ApiPropertyOptional({ type: String, description: "an existing slate id, 0x + 64 hex" })
  slate?: string;
}

export class QueuedOperationResponse {
  @ApiProperty({ type: String, format: "uuid" }) operationId!: string;
  @ApiProperty({ type: String, enum: ["queued"] }) status!: string;
  @ApiProperty({ type: String, description: "the vote proxy this operation acts on" })
  proxyAddress!: string;
}

export class GovernanceEventResponse {
  @ApiProperty({ type: String, enum: ["Locked", "Freed", "Voted"] }) name!: string;
  @ApiProperty({ type: String, description: "wad (Locked/Freed) or slate (Voted)" }) value!: string;
  @ApiProperty({ type: Number }) blockNumber!: number;
  @ApiProperty({ type: String }) transactionHash!: string;
}

export class GovernanceStatusResponse {
  @ApiProperty({ type: String, format: "uuid" }) customerId!: string;
  @ApiProperty({ type: String }) proxyAddress!: string;
  @ApiProperty({ type: Boolean, description: "the factory reports the proxy as created" })
  deployed!: boolean;
  @ApiProperty({ type: String, description: "GOV held by the proxy, base units" }) govBalance!: string;
  @ApiProperty({ type: String, description: "GOV locked in the chief, base units" })
  chiefDeposits!: string;
  @ApiProperty({ type: String, description: "the slate the proxy votes for (zero when none)" })
  slate!: string;
  @ApiProperty({ type: String, format: "uuid" }) originateOperationId!: string;
  @ApiProperty({ type: () => [GovernanceEventResponse] }) events!: GovernanceEventResponse[];
}
