import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Res } from "@nestjs/common";
import {
  ApiBearerAuth,
  ApiBody,
  ApiHeader,
  ApiOkResponse,
  ApiCreatedResponse,
  ApiQuery,
  ApiTags,
} from "@nestjs/swagger";
import type { FastifyReply } from "fastify";
import { CurrentPrincipal, Roles, type Principal } from "../auth/roles.js";
import { IdempotencyService, requestHash } from "../http/idempotency.service.js";
import { parseIdempotencyKey, parseInput, parseUuid } from "../http/validation.js";
import { sendStored } from "../http/replies.js";
import { CustomersService } from "./customers.service.js";
import {
  CreateCustomerRequest,
  CustomerPage,
  CustomerResponse,
  createCustomerSchema,
  customerView,
  listCustomersQuerySchema,
} from "./customer.dto.js";

@ApiTags("customers")
@ApiBearerAuth()
@Controller("v1/customers")
export class CustomersController {
  constructor(
    @Inject(CustomersService) private readonly customers: CustomersService,
    @Inject(IdempotencyService) private readonly idempotency: IdempotencyService,
  ) {}

  @Post()
  @Roles("admin")
  @HttpCode(201)
  @ApiHeader({ name: "Idempotency-Key", required: true, description: "1-128 visible ASCII characters" })
  @ApiBody({ type: CreateCustomerRequest })
  @ApiCreatedResponse({ type: CustomerResponse })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Headers("idempotency-key") idempotencyKey: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const key = parseIdempotencyKey(idempotencyKey);
    const input = parseInput(createCustomerSchema, body, "body");
    const stored = await this.idempotency.run(
      principal,
      key,
      requestHash("POST", "/v1/customers", body),
      async (tx, now) => {
        const row = await this.customers.create(tx, principal, input, now);
        return { status: 201, body: customerView(row) };
      },
    );
    return sendStored(reply, stored);
  }

  @Get()
  @Roles("admin", "operator", "auditor")
  @ApiQuery({ name: "limit", required: false, type: Number })
  @ApiQuery({ name: "after", required: false, type: String })
  @ApiOkResponse({ type: CustomerPage })
  async list(@Query() query: unknown): Promise<CustomerPage> {
    const { limit, after } = parseInput(listCustomersQuerySchema, query ?? {}, "query");
    const page = await this.customers.list(limit, after);
    return { items: page.items.map(customerView), next: page.next };
  }

  @Get(":id")
  @Roles("admin", "operator", "auditor")
  @ApiOkResponse({ type: CustomerResponse })
  async show(@Param("id") id: string): Promise<CustomerResponse> {
    return customerView(await this.customers.get(parseUuid(id, "id")));
  }
}
