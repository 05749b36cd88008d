import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Res } from "@nestjs/common";
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiTags } from "@nestjs/swagger";
import type { FastifyReply } from "fastify";
import { NotFoundError } from "../../../shared/src/errors.js";
import type { JsonValue } from "../../../shared/src/canonical-json.js";
import { CurrentPrincipal, Roles, type Principal } from "../auth/roles.js";
import { IdempotencyService, requestHash } from "../http/idempotency.service.js";
import { sendStored } from "../http/replies.js";
import { parseIdempotencyKey, parseInput } from "../http/validation.js";
import { hashParam, proposeSchema, signatureSchema, versionView } from "./policy.dto.js";
import { PolicyLifecycleService } from "./policy-lifecycle.service.js";
import type { PolicyHistoryExport } from "./policy-lifecycle.service.js";

/**
 * Policy versions. Activation happens only through quorum signatures verified here (and again by
 * the hot signer); no route sets a status.
 */
@ApiTags("policies")
@ApiBearerAuth()
@Controller("v1/policies")
export class PolicyController {
  constructor(
    @Inject(PolicyLifecycleService) private readonly policies: PolicyLifecycleService,
    @Inject(IdempotencyService) private readonly idempotency: IdempotencyService,
  ) {}

  @Get()
  @Roles("admin", "operator", "auditor")
  async list(): Promise<{ items: unknown[]; activeHash: string | null }> {
    const state = await this.policies.state();
    return {
      items: state.all.map((v) => versionView(v, this.policies.activationDigest(v))),
      activeHash: state.active?.hash ?? null,
    };
  }

  @Get("active")
  @Roles("admin", "operator", "auditor")
  async active(): Promise<unknown> {
    const active = await this.policies.active();
    if (!active) throw new NotFoundError("active policy", "none");
    return versionView(active, this.policies.activationDigest(active));
  }

  /** Every version with its quorum signatures; verify offline with `npm run audit:verify -- --policies`. */
  @Get("history/export")
  @Roles("auditor", "admin")
  @ApiOkResponse({ description: "coldpath-policy-history/1 document" })
  async export(): Promise<PolicyHistoryExport> {
    return this.policies.exportHistory();
  }

  @Get(":hash")
  @Roles("admin", "operator", "auditor")
  async show(@Param("hash") hash: string): Promise<unknown> {
    const h = parseInput(hashParam, hash, "hash");
    const version = (await this.policies.state()).all.find((v) => v.hash === h);
    if (!version) throw new NotFoundError("policy", h);
    return versionView(version, this.policies.activationDigest(version));
  }

  @Post()
  @Roles("admin")
  @HttpCode(201)
  @ApiHeader({ name: "Idempotency-Key", required: true })
  async propose(
    @CurrentPrincipal() principal: Principal,
    @Headers("idempotency-key") idempotencyKey: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const key = parseIdempotencyKey(idempotencyKey);
    const input = parseInput(proposeSchema, body, "body");
    const stored = await this.idempotency.run(
      principal,
      key,
      requestHash("POST", "/v1/policies", body),
      async (tx, now) => {
        const { created, version } = await this.policies.propose(tx, principal, input.document, now);
        return {
          status: created ? 201 : 200,
          body: versionView(version, this.policies.activationDigest(version)) as JsonValue,
        };
      },
    );
    return sendStored(reply, stored);
  }

  /** One activation signature: `{ publicKey, signature }` (Ed25519) or `{ evidence }` (passkey). */
  @Post(":hash/signatures")
  @Roles("admin", "operator", "auditor")
  @HttpCode(201)
  @ApiHeader({ name: "Idempotency-Key", required: true })
  async sign(
    @CurrentPrincipal() principal: Principal,
    @Headers("idempotency-key") idempotencyKey: string | undefined,
    @Param("hash") hash: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const key = parseIdempotencyKey(idempotencyKey);
    const h = parseInput(hashParam, hash, "hash");
    const signature = parseInput(signatureSchema, body, "body");
    const stored = await this.idempotency.run(
      principal,
      key,
      requestHash("POST", `/v1/policies/${h}/signatures`, body),
      async (tx, now) => {
        const result = await this.policies.addSignature(tx, principal, h, signature, now);
        return { status: 201, body: { ...result, approvedBy: [...result.approvedBy] } };
      },
    );
    const answer = sendStored(reply, stored);
    if ((stored.body as { activated?: boolean }).activated === true && !stored.replayed) {
      await this.policies.pushChain();
    }
    return answer;
  }
}
