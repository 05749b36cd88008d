import { Controller, Get, Inject, Param, Query } from "@nestjs/common";
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiQuery, ApiTags } from "@nestjs/swagger";
import { z } from "zod";
import { Roles } from "../auth/roles.js";
import { parseInput, parseUuid } from "../http/validation.js";
import { ChainEventsService } from "./chain-events.service.js";

const decimal = (max: number) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]{0,15})$/, "must be a non-negative decimal integer")
    .transform(Number)
    .refine((n) => n <= max, `must be at most ${max}`);

export const eventsQuerySchema = z.strictObject({
  chain: z.enum(["evm", "tezos"], { error: "must be evm or tezos" }).optional(),
  after: decimal(Number.MAX_SAFE_INTEGER).optional(),
  limit: decimal(500)
    .refine((n) => n >= 1, "must be at least 1")
    .optional(),
});

export class IndexedEventResponse {
  @ApiProperty({ type: Number }) seq!: number;
  @ApiProperty({ type: String, enum: ["evm", "tezos"] }) chain!: string;
  @ApiProperty({ type: Number }) blockNumber!: number;
  @ApiProperty({ type: String }) blockHash!: string;
  @ApiProperty({ type: String, description: "transaction hash (EVM) or operation hash (Tezos)" })
  txHash!: string;
  @ApiProperty({ type: Number, description: "log index (EVM) or content index in the operation (Tezos)" })
  logIndex!: number;
  @ApiProperty({ type: String }) contract!: string;
  @ApiProperty({ type: String, description: "the customer contract the event is about" }) subject!: string;
  @ApiProperty({
    type: String,
    description:
      "ProxyCreated, Locked, Freed, Voted, HotRotated, Rescued, EthRescued, ChiefIouApproved (EVM); Originated, DelegateSet, Withdrawn, HotRotated, Deposited (Tezos)",
  })
  name!: string;
  @ApiProperty({ type: Object }) args!: unknown;
  @ApiProperty({ type: Number }) confirmations!: number;
  @ApiProperty({ type: Boolean }) confirmed!: boolean;
}

export class IndexerCursorResponse {
  @ApiProperty({ type: String, enum: ["evm", "tezos"] }) chain!: string;
  @ApiProperty({ type: Number, nullable: true }) nextBlock!: number | null;
  @ApiProperty({ type: Number, nullable: true }) headSeen!: number | null;
  @ApiProperty({ type: Number }) confirmationDepth!: number;
  @ApiProperty({ type: String, nullable: true }) updatedAt!: string | null;
}

export class CustomerEventsResponse {
  @ApiProperty({ type: String, format: "uuid" }) customerId!: string;
  @ApiProperty({ type: [IndexerCursorResponse] }) cursors!: IndexerCursorResponse[];
  @ApiProperty({ type: [IndexedEventResponse] }) events!: IndexedEventResponse[];
}

/** Events the indexer read from the chains about one customer's contracts. */
@ApiTags("events")
@ApiBearerAuth()
@Controller("v1/customers/:id/events")
export class ChainEventsController {
  constructor(@Inject(ChainEventsService) private readonly events: ChainEventsService) {}

  @Get()
  @Roles("operator", "auditor")
  @ApiQuery({ name: "chain", required: false, enum: ["evm", "tezos"] })
  @ApiQuery({
    name: "after",
    required: false,
    type: Number,
    description: "answer events with seq above this",
  })
  @ApiQuery({ name: "limit", required: false, type: Number, description: "1 to 500, default 100" })
  @ApiOkResponse({ type: CustomerEventsResponse })
  list(@Param("id") id: string, @Query() query: unknown): Promise<CustomerEventsResponse> {
    const customerId = parseUuid(id, "id");
    const q = parseInput(eventsQuerySchema, query ?? {}, "query");
    return this.events.forCustomer(customerId, {
      ...(q.chain !== undefined ? { chain: q.chain } : {}),
      after: q.after ?? 0,
      limit: q.limit ?? 100,
    });
  }
}
