import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Res } from "@nestjs/common";
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiHeader,
  ApiOkResponse,
  ApiTags,
} from "@nestjs/swagger";
import type { FastifyReply } from "fastify";
import { CurrentPrincipal, Roles, type Principal } from "../auth/roles.js";
import { IdempotencyService } from "../http/idempotency.service.js";
import { runQueuedWrite } from "../http/queued-write.js";
import { parseIdempotencyKey, parseInput, parseUuid } from "../http/validation.js";
import {
  DelegateRequest,
  StakingQueuedResponse,
  StakingStatusResponse,
  delegateBodySchema,
  emptyStakingBodySchema,
  parseBaker,
} from "./staking.dto.js";
import { StakingService } from "./staking.service.js";

const IDEMPOTENCY_HEADER = {
  name: "Idempotency-Key",
  required: true,
  description: "1-128 visible ASCII characters",
};

/**
 * Staking routes of one customer. Every POST validates everything it can before the idempotency
 * transaction, then queues one Tezos operation and answers 202 with its id.
 */
@ApiTags("staking")
@ApiBearerAuth()
@Controller("v1/customers/:id/staking")
export class StakingController {
  constructor(
    @Inject(StakingService) private readonly staking: StakingService,
    @Inject(IdempotencyService) private readonly idempotency: IdempotencyService,
  ) {}

  @Post("contract")
  @Roles("operator")
  @HttpCode(202)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({ type: StakingQueuedResponse, description: "the origination's operation id" })
  originate(
    @CurrentPrincipal() principal: Principal,
    @Param("id") id: string,
    @Headers("idempotency-key") idempotencyKey: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const customerId = parseUuid(id, "id");
    const key = parseIdempotencyKey(idempotencyKey);
    parseInput(emptyStakingBodySchema, body ?? {}, "body");
    this.staking.configured();
    return runQueuedWrite(
      this.idempotency,
      reply,
      principal,
      key,
      `/v1/customers/${customerId}/staking/contract`,
      body,
      (tx, ctx) => this.staking.originate(tx, ctx, customerId),
    );
  }

  @Post("delegate")
  @Roles("operator")
  @HttpCode(202)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiBody({ type: DelegateRequest })
  @ApiAcceptedResponse({ type: StakingQueuedResponse })
  delegate(
    @CurrentPrincipal() principal: Principal,
    @Param("id") id: string,
    @Headers("idempotency-key") idempotencyKey: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const customerId = parseUuid(id, "id");
    const key = parseIdempotencyKey(idempotencyKey);
    const input = parseInput(delegateBodySchema, body, "body");
    const baker = parseBaker(input.baker, "baker");
    this.staking.configured();
    return runQueuedWrite(
      this.idempotency,
      reply,
      principal,
      key,
      `/v1/customers/${customerId}/staking/delegate`,
      body,
      (tx, ctx) => this.staking.setDelegate(tx, ctx, customerId, baker),
    );
  }

  @Get()
  @Roles("operator", "admin", "auditor")
  @ApiOkResponse({ type: StakingStatusResponse })
  status(@Param("id") id: string): Promise<StakingStatusResponse> {
    return this.staking.status(parseUuid(id, "id"));
  }
}
