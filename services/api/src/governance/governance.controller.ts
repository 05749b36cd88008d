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
  AmountRequest,
  GovernanceStatusResponse,
  QueuedOperationResponse,
  VoteRequest,
  amountBodySchema,
  candidatesBodySchema,
  emptyBodySchema,
  parseVote,
  parseWad,
  slateBodySchema,
  voteShapeError,
} from "./governance.dto.js";
import { GovernanceService, type HotAction } from "./governance.service.js";

const IDEMPOTENCY_HEADER = {
  name: "Idempotency-Key",
  required: true,
  description: "1-128 visible ASCII characters",
};

/**
 * Governance routes of one customer. Every POST validates everything it can before the
 * idempotency transaction, then queues one operation and answers 202 with its id.
 */
@ApiTags("governance")
@ApiBearerAuth()
@Controller("v1/customers/:id/governance")
export class GovernanceController {
  constructor(
    @Inject(GovernanceService) private readonly governance: GovernanceService,
    @Inject(IdempotencyService) private readonly idempotency: IdempotencyService,
  ) {}

  @Post("proxy")
  @Roles("operator")
  @HttpCode(202)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({
    type: QueuedOperationResponse,
    description: "predicted proxy address and operation id",
  })
  async originate(
    @CurrentPrincipal() principal: Principal,
    @Param("id") id: string,
    @Headers("idempotency-key") idempotencyKey: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const customerId = parseUuid(id, "id");
    const key = parseIdempotencyKey(idempotencyKey);
    parseInput(emptyBodySchema, body ?? {}, "body");
    this.governance.configured();
    return runQueuedWrite(
      this.idempotency,
      reply,
      principal,
      key,
      `/v1/customers/${customerId}/governance/proxy`,
      body,
      (tx, ctx) => this.governance.originate(tx, ctx, customerId),
    );
  }

  @Post("lock")
  @Roles("operator")
  @HttpCode(202)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiBody({ type: AmountRequest })
  @ApiAcceptedResponse({ type: QueuedOperationResponse })
  lock(
    @CurrentPrincipal() principal: Principal,
    @Param("id") id: string,
    @Headers("idempotency-key") idempotencyKey: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    return this.#amount("lock", principal, id, idempotencyKey, body, reply);
  }

  @Post("free")
  @Roles("operator")
  @HttpCode(202)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiBody({ type: AmountRequest })
  @ApiAcceptedResponse({ type: QueuedOperationResponse })
  free(
    @CurrentPrincipal() principal: Principal,
    @Param("id") id: string,
    @Headers("idempotency-key") idempotencyKey: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    return this.#amount("free", principal, id, idempotencyKey, body, reply);
  }

  @Post("free-all")
  @Roles("operator")
  @HttpCode(202)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({ type: QueuedOperationResponse })
  async freeAll(
    @CurrentPrincipal() principal: Principal,
    @Param("id") id: string,
    @Headers("idempotency-key") idempotencyKey: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const customerId = parseUuid(id, "id");
    const key = parseIdempotencyKey(idempotencyKey);
    parseInput(emptyBodySchema, body ?? {}, "body");
    return this.#action(reply, principal, key, customerId, "free-all", body, { kind: "freeAll" });
  }

  @Post("vote")
  @Roles("operator")
  @HttpCode(202)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiBody({ type: VoteRequest })
  @ApiAcceptedResponse({ type: QueuedOperationResponse })
  async vote(
    @CurrentPrincipal() principal: Principal,
    @Param("id") id: string,
    @Headers("idempotency-key") idempotencyKey: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const customerId = parseUuid(id, "id");
    const key = parseIdempotencyKey(idempotencyKey);
    if (body === undefined || body === null) parseInput(slateBodySchema, body, "body");
    const shapeError = voteShapeError(body);
    if (shapeError) throw shapeError;
    const input =
      "slate" in (body as object)
        ? parseInput(slateBodySchema, body, "body")
        : parseInput(candidatesBodySchema, body, "body");
    const { settings } = this.governance.configured();
    const vote = parseVote(input, settings.maxCandidates);
    return this.#action(reply, principal, key, customerId, "vote", body, { kind: "vote", vote });
  }

  @Get()
  @Roles("operator", "admin", "auditor")
  @ApiOkResponse({ type: GovernanceStatusResponse })
  async status(@Param("id") id: string): Promise<GovernanceStatusResponse> {
    return this.governance.status(parseUuid(id, "id"));
  }

  async #amount(
    kind: "lock" | "free",
    principal: Principal,
    id: string,
    idempotencyKey: string | undefined,
    body: unknown,
    reply: FastifyReply,
  ): Promise<unknown> {
    const customerId = parseUuid(id, "id");
    const key = parseIdempotencyKey(idempotencyKey);
    const { wad } = parseInput(amountBodySchema, body, "body");
    const action: HotAction = { kind, wad: parseWad(wad, "wad") };
    return this.#action(reply, principal, key, customerId, kind, body, action);
  }

  #action(
    reply: FastifyReply,
    principal: Principal,
    key: string,
    customerId: string,
    route: string,
    body: unknown,
    action: HotAction,
  ): Promise<unknown> {
    this.governance.configured();
    return runQueuedWrite(
      this.idempotency,
      reply,
      principal,
      key,
      `/v1/customers/${customerId}/governance/${route}`,
      body,
      (tx, ctx) => this.governance.hotAction(tx, ctx, customerId, action),
    );
  }
}
