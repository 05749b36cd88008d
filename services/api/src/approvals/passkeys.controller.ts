import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from "@nestjs/common";
import { ApiBearerAuth, ApiBody, ApiCookieAuth, ApiHeader, ApiOperation, ApiTags } from "@nestjs/swagger";
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { SessionRow } from "./approvals.repository.js";
import { CurrentPrincipal, Public, Roles, type Principal } from "../auth/roles.js";
import type { ApiConfig } from "../config.js";
import { IdempotencyService, requestHash } from "../http/idempotency.service.js";
import { sendStored } from "../http/replies.js";
import { parseIdempotencyKey, parseInput } from "../http/validation.js";
import { CONFIG } from "../tokens.js";
import { PasskeysService } from "./passkeys.service.js";
import {
  ConsoleSessionGuard,
  CurrentSession,
  assertSameOriginWrite,
  setSessionCookie,
} from "./session.guard.js";

/** Approver ids as policies spell them. */
export const approverIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "expected 1-64 of a-z 0-9 . _ - (lowercase)");
const b64url = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, "expected base64url")
  .max(20_000);

const enrolmentSchema = z.strictObject({
  ttlMinutes: z
    .number()
    .int("must be an integer")
    .min(5)
    .max(7 * 24 * 60)
    .default(24 * 60),
});
const codeSchema = z.string().min(1).max(200);
const registrationSchema = z.strictObject({
  code: codeSchema,
  challengeId: z.uuid("must be a UUID"),
  response: z.looseObject({
    id: b64url,
    rawId: b64url,
    type: z.literal("public-key"),
    response: z.looseObject({ clientDataJSON: b64url, attestationObject: b64url }),
  }),
});
/** An assertion as the browser library returns it. */
export const assertionSchema = z.looseObject({
  id: b64url,
  rawId: b64url,
  type: z.literal("public-key"),
  response: z.looseObject({ clientDataJSON: b64url, authenticatorData: b64url, signature: b64url }),
});
const signInSchema = z.strictObject({ challengeId: z.uuid("must be a UUID"), response: assertionSchema });

/**
 * Passkey enrolment (admins issue one-time codes), registration and console sign-in. The console
 * routes are outside the API-key guard: they authenticate with the passkey itself, then with the
 * session cookie.
 */
@ApiTags("approvers")
@Controller()
export class PasskeysController {
  constructor(
    @Inject(PasskeysService) private readonly passkeys: PasskeysService,
    @Inject(IdempotencyService) private readonly idempotency: IdempotencyService,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {}

  /** Issues a one-time enrolment code for an approver (shown once; `code: null` on a replay). */
  @Post("v1/approvers/:approverId/enrolments")
  @Roles("admin")
  @ApiBearerAuth()
  @HttpCode(201)
  @ApiHeader({ name: "Idempotency-Key", required: true })
  async enrol(
    @CurrentPrincipal() principal: Principal,
    @Param("approverId") approverId: string,
    @Headers("idempotency-key") idempotencyKey: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const key = parseIdempotencyKey(idempotencyKey);
    const id = parseInput(approverIdSchema, approverId, "approverId");
    const input = parseInput(enrolmentSchema, body ?? {}, "body");
    let code: string | null = null;
    const stored = await this.idempotency.run(
      principal,
      key,
      requestHash("POST", `/v1/approvers/${id}/enrolments`, body ?? {}),
      async (tx, now) => {
        const created = await this.passkeys.createEnrolment(tx, principal, id, input.ttlMinutes, now);
        code = created.code;
        return {
          status: 201,
          body: {
            enrolmentId: created.row.id,
            approverId: id,
            expiresAt: created.row.expiresAt.toISOString(),
            code: null,
          },
        };
      },
    );
    const answer = sendStored(reply, stored) as Record<string, unknown>;
    return stored.replayed ? answer : { ...answer, code };
  }

  /** Registered passkeys and whether the active policy lists them (`active`) or not (`pending`). */
  @Get("v1/approvers/passkeys")
  @Roles("admin", "auditor")
  @ApiBearerAuth()
  async listPasskeys(@Query("approverId") approverId: string | undefined): Promise<unknown> {
    const id = approverId === undefined ? undefined : parseInput(approverIdSchema, approverId, "approverId");
    return { items: await this.passkeys.list(id) };
  }

  @Post("v1/console/registration/options")
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: "WebAuthn registration options for the approver an enrolment code names" })
  async registrationOptions(@Req() request: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    assertSameOriginWrite(request, this.config);
    const { code } = parseInput(z.strictObject({ code: codeSchema }), body, "body");
    return this.passkeys.registrationOptions(code);
  }

  @Post("v1/console/registration")
  @Public()
  @HttpCode(201)
  @ApiBody({ description: "{ code, challengeId, response: RegistrationResponseJSON }" })
  async register(@Req() request: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    assertSameOriginWrite(request, this.config);
    const input = parseInput(registrationSchema, body, "body");
    return this.passkeys.register(
      input.code,
      input.challengeId,
      input.response as unknown as RegistrationResponseJSON,
    );
  }

  @Post("v1/console/sign-in/options")
  @Public()
  @HttpCode(200)
  async signInOptions(@Req() request: FastifyRequest): Promise<unknown> {
    assertSameOriginWrite(request, this.config);
    return this.passkeys.signInOptions();
  }

  /** Verifies the passkey assertion and sets the session cookie; the CSRF token is in the body. */
  @Post("v1/console/sign-in")
  @Public()
  @HttpCode(200)
  async signIn(
    @Req() request: FastifyRequest,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    assertSameOriginWrite(request, this.config);
    const input = parseInput(signInSchema, body, "body");
    const signed = await this.passkeys.signIn(
      input.challengeId,
      input.response as unknown as AuthenticationResponseJSON,
    );
    setSessionCookie(reply, this.config, signed.token);
    return this.sessionView(signed.session, signed.csrfToken);
  }

  /** The current session, with a fresh CSRF token (the page keeps it in memory only). */
  @Get("v1/console/session")
  @Public()
  @UseGuards(ConsoleSessionGuard)
  @ApiCookieAuth()
  async session(@CurrentSession() session: SessionRow): Promise<unknown> {
    return this.sessionView(session, await this.passkeys.rotateCsrf(session));
  }

  @Post("v1/console/sign-out")
  @Public()
  @UseGuards(ConsoleSessionGuard)
  @ApiCookieAuth()
  @HttpCode(204)
  async signOut(
    @CurrentSession() session: SessionRow,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.passkeys.signOut(session);
    setSessionCookie(reply, this.config, null);
  }

  private async sessionView(session: SessionRow, csrfToken: string): Promise<unknown> {
    return {
      approverId: session.approverId,
      credentialId: session.credentialId,
      expiresAt: session.expiresAt.toISOString(),
      csrfToken,
      passkeys: await this.passkeys.list(session.approverId),
    };
  }
}
