import { Body, Controller, Headers, HttpCode, Inject, Param, Post, Res } from "@nestjs/common";
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiHeader, ApiProperty, ApiTags } from "@nestjs/swagger";
import type { FastifyReply } from "fastify";
import { z } from "zod";
import { API_KEY_ROLES } from "../../../db/src/schema.js";
import { CurrentPrincipal, Roles, type Principal } from "../auth/roles.js";
import { VerifiedKeyCache } from "../auth/verified-key-cache.js";
import { IdempotencyService, requestHash } from "../http/idempotency.service.js";
import { sendStored } from "../http/replies.js";
import { parseIdempotencyKey, parseInput, parseUuid } from "../http/validation.js";
import { ApiKeysService } from "./api-keys.service.js";

const createKeySchema = z.strictObject({
  name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  role: z.enum(API_KEY_ROLES, { error: `must be one of ${API_KEY_ROLES.join(", ")}` }),
});

export class CreateApiKeyRequest {
  @ApiProperty({ type: String, maxLength: 200 }) name!: string;
  @ApiProperty({ type: String, enum: API_KEY_ROLES }) role!: string;
}

export class CreatedApiKey {
  @ApiProperty({ type: String, format: "uuid" }) id!: string;
  @ApiProperty({ type: String }) name!: string;
  @ApiProperty({ type: String, enum: API_KEY_ROLES }) role!: string;
  @ApiProperty({ type: String, nullable: true, description: "shown once; null on a replay" })
  token!: string | null;
}

@ApiTags("api-keys")
@ApiBearerAuth()
@Controller("v1/api-keys")
@Roles("admin")
export class ApiKeysController {
  constructor(
    @Inject(ApiKeysService) private readonly keys: ApiKeysService,
    @Inject(IdempotencyService) private readonly idempotency: IdempotencyService,
    @Inject(VerifiedKeyCache) private readonly verifiedKeys: VerifiedKeyCache,
  ) {}

  /**
   * Creates a key. The token is in the first answer only: the stored (replayable) answer leaves
   * it out, so no plaintext token ever reaches the database. A replay answers `token: null`.
   */
  @Post()
  @HttpCode(201)
  @ApiHeader({ name: "Idempotency-Key", required: true })
  @ApiBody({ type: CreateApiKeyRequest })
  @ApiCreatedResponse({ type: CreatedApiKey })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Headers("idempotency-key") idempotencyKey: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const key = parseIdempotencyKey(idempotencyKey);
    const input = parseInput(createKeySchema, body, "body");
    let token: string | null = null;
    const stored = await this.idempotency.run(
      principal,
      key,
      requestHash("POST", "/v1/api-keys", body),
      async (tx, now) => {
        const issued = await this.keys.create(tx, principal, input.name, input.role, now);
        token = issued.token;
        return {
          status: 201,
          body: { id: issued.row.id, name: issued.row.name, role: issued.row.role, token: null },
        };
      },
    );
    const answer = sendStored(reply, stored) as Record<string, unknown>;
    return stored.replayed ? answer : { ...answer, token };
  }

  @Post(":id/revoke")
  @HttpCode(200)
  @ApiHeader({ name: "Idempotency-Key", required: true })
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @Headers("idempotency-key") idempotencyKey: string | undefined,
    @Param("id") id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const key = parseIdempotencyKey(idempotencyKey);
    const keyId = parseUuid(id, "id");
    const stored = await this.idempotency.run(
      principal,
      key,
      requestHash("POST", `/v1/api-keys/${keyId}/revoke`, null),
      async (tx, now) => {
        await this.keys.revoke(tx, principal, keyId, now);
        return { status: 200, body: { id: keyId, revoked: true } };
      },
    );
    // After the commit: the auth guard's cache must not serve the key again.
    this.verifiedKeys.invalidate(keyId);
    return sendStored(reply, stored);
  }
}
