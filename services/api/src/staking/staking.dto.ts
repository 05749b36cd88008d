import { ApiProperty } from "@nestjs/swagger";
import { ValidationResult, validateKeyHash } from "@taquito/utils";
import { z } from "zod";
import { ValidationError } from "../../../shared/src/errors.js";

/** Bodies of the routes that take none: `{}` or an empty body. */
export const emptyStakingBodySchema = z.strictObject({});

export const delegateBodySchema = z.strictObject({
  baker: z.union([z.string().max(36, "must be at most 36 characters"), z.null()], {
    error: "must be a baker key hash (tz1, tz2, tz3) or null",
  }),
});

/**
 * Checks a baker: a tz1, tz2 or tz3 key hash with a valid base58check, or null (remove).
 *
 * @throws {ValidationError} `invalid_tezos_address` naming `field`.
 * @example parseBaker("tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb", "baker")
 */
export function parseBaker(value: string | null, field: string): string | null {
  if (value === null) return null;
  if (!/^tz[123]/.test(value) || validateKeyHash(value) !== ValidationResult.VALID) {
    throw new ValidationError(
      "invalid_tezos_address",
      field,
      `'${value.slice(0, 40)}' is not a tz1, tz2 or tz3 key hash with a valid checksum`,
    );
  }
  return value;
}

export class DelegateRequest {
  @ApiProperty({
    type: String,
    nullable: true,
    description: "baker key hash (tz1/tz2/tz3), or null to remove the delegate",
  })
  baker!: string | null;
}

export class StakingQueuedResponse {
  @ApiProperty({ type: String, format: "uuid" }) operationId!: string;
  @ApiProperty({ type: String, enum: ["queued"] }) status!: string;
}

export class StakingStatusResponse {
  @ApiProperty({ type: String, format: "uuid" }) customerId!: string;
  @ApiProperty({ type: String, format: "uuid" }) originateOperationId!: string;
  @ApiProperty({ type: String, nullable: true, description: "null until the origination is included" })
  contractAddress!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "mutez, decimal (null before origination)" })
  balanceMutez!: string | null;
  @ApiProperty({ type: String, nullable: true }) delegate!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "cold key hash in the contract's storage" })
  storageCold!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "hot key hash in the contract's storage" })
  storageHot!: string | null;
}
