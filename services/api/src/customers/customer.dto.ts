import { ApiProperty } from "@nestjs/swagger";
import { z } from "zod";
import type { CustomerRow } from "../../../db/src/repositories.js";

/** Shape and type checks of POST /v1/customers; address checks follow in the service. */
export const createCustomerSchema = z.strictObject({
  name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  evmColdAddress: z.string().max(42, "must be at most 42 characters"),
  tezosColdAddress: z.string().max(36, "must be at most 36 characters"),
});
export type CreateCustomerInput = z.infer<typeof createCustomerSchema>;

export const listCustomersQuerySchema = z.strictObject({
  limit: z.coerce.number().int("must be an integer").min(1).max(100).default(50),
  after: z.uuid("must be a UUID").optional(),
});

export class CreateCustomerRequest {
  @ApiProperty({ type: String, maxLength: 200, example: "Acme Treasury" })
  name!: string;
  @ApiProperty({
    type: String,
    description: "EVM cold address with a valid EIP-55 checksum",
    example: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
  })
  evmColdAddress!: string;
  @ApiProperty({
    type: String,
    description: "Tezos tz1 cold address",
    example: "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb",
  })
  tezosColdAddress!: string;
}

export class CustomerResponse {
  @ApiProperty({ type: String, format: "uuid" })
  id!: string;
  @ApiProperty({ type: String })
  name!: string;
  @ApiProperty({ type: String })
  evmColdAddress!: string;
  @ApiProperty({ type: String })
  tezosColdAddress!: string;
  @ApiProperty({ type: String, format: "date-time" })
  createdAt!: string;
}

export class CustomerPage {
  @ApiProperty({ type: () => [CustomerResponse] })
  items!: CustomerResponse[];
  @ApiProperty({ type: String, nullable: true, description: "pass as `after` for the next page" })
  next!: string | null;
}

export function customerView(row: CustomerRow): {
  id: string;
  name: string;
  evmColdAddress: string;
  tezosColdAddress: string;
  createdAt: string;
} {
  return {
    id: row.id,
    name: row.name,
    evmColdAddress: row.evmColdAddress,
    tezosColdAddress: row.tezosColdAddress,
    createdAt: row.createdAt.toISOString(),
  };
}
