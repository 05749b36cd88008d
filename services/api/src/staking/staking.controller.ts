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
import type { JsonValue } from "../../../shared/src/canonical-json.js";
import type { Tx } from "../../../db/src/database.js";
import { CurrentPrincipal, Roles, type Principal } from "../auth/roles.js";
import type { RequestContext } from "../governance/governance.service.js";
import { IdempotencyService, requestHash } from "../http/idempotency.service.js";
import { sendStored } from "../http/replies.js";
import { parseIdempotencyKey, parseInput, parseUuid } from "../http/validation.js";
import {
  DelegateRequest,
  StakingQueuedResponse,
  StakingStatusResponse,
  delegateBodySchema,
  emptyStakingBodySchema,
  parseBaker,
} from "./staking.dto.js";
import { StakingService, type QueuedStakingOperation } from "./staking.service.js";

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
    return this.#run(reply, principal, key, `/v1/customers/${customerId}/staking/contract`, body, (tx, ctx) =>
      this.staking.originate(tx, ctx, customerId),
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
    return this.#run(reply, principal, key, `/v1/customers/${customerId}/staking/delegate`, body, (tx, ctx) =>
      this.staking.setDelegate(tx, ctx, customerId, baker),
    );
  }

  @Get()
  @Roles("operator", "admin", "auditor")
  @ApiOkResponse({ type: StakingStatusResponse })
  status(@Param("id") id: string): Promise<StakingStatusResponse> {
    return this.staking.status(parseUuid(id, "id"));
  }

  async #run(
    reply: FastifyReply,
    principal: Principal,
    key: string,
    route: string,
    body: unknown,
    work: (tx: Tx, ctx: RequestContext) => Promise<QueuedStakingOperation>,
  ): Promise<unknown> {
    const hash = requestHash("POST", route, body);
    const stored = await this.idempotency.run(principal, key, hash, async (tx, now) => {
      const queued = await work(tx, { principal, idempotencyKey: key, requestHash: hash, now });
      return { status: 202, body: { ...queued } as unknown as JsonValue };
    });
    return sendStored(reply, stored);
  }
}
