import { Controller, Get, Inject, Param } from "@nestjs/common";
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiTags } from "@nestjs/swagger";
import type { Database } from "../../../db/src/database.js";
import type { OperationRow, OperationsRepository } from "../../../db/src/repositories.js";
import { NotFoundError } from "../../../shared/src/errors.js";
import { Roles } from "../auth/roles.js";
import { parseUuid } from "../http/validation.js";
import { DATABASE, OPERATIONS_REPOSITORY } from "../tokens.js";

export class OperationResponse {
  @ApiProperty({ type: String, format: "uuid" }) id!: string;
  @ApiProperty({ type: String, format: "uuid" }) customerId!: string;
  @ApiProperty({ type: String, enum: ["evm", "tezos"] }) chain!: string;
  @ApiProperty({ type: String }) kind!: string;
  @ApiProperty({ type: String, enum: ["queued", "signed", "broadcast", "confirmed", "failed"] })
  status!: string;
  @ApiProperty({ type: String, nullable: true }) failureReason!: string | null;
  @ApiProperty({ type: String, nullable: true }) txHash!: string | null;
  @ApiProperty({ type: String, format: "date-time" }) createdAt!: string;
  @ApiProperty({ type: String, format: "date-time" }) updatedAt!: string;
}

export function operationView(row: OperationRow): OperationResponse {
  return {
    id: row.id,
    customerId: row.customerId,
    chain: row.chain,
    kind: row.kind,
    status: row.status,
    failureReason: row.failureReason,
    txHash: row.txHash,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

@ApiTags("operations")
@ApiBearerAuth()
@Controller("v1/operations")
export class OperationsController {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(OPERATIONS_REPOSITORY) private readonly operations: OperationsRepository,
  ) {}

  @Get(":id")
  @Roles("operator", "admin", "auditor")
  @ApiOkResponse({ type: OperationResponse })
  async show(@Param("id") id: string): Promise<OperationResponse> {
    const row = await this.operations.findById(this.database.db, parseUuid(id, "id"));
    if (!row) throw new NotFoundError("operation", id);
    return operationView(row);
  }
}
