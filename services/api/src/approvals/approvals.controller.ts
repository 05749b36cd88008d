import { Body, Controller, Get, HttpCode, Inject, Param, Post, UseGuards } from "@nestjs/common";
import { ApiBearerAuth, ApiCookieAuth, ApiTags } from "@nestjs/swagger";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { z } from "zod";
import type { ApprovalSubjectKind } from "../../../db/src/schema-approvals.js";
import { ValidationError } from "../../../shared/src/errors.js";
import { Public, Roles } from "../auth/roles.js";
import { parseInput } from "../http/validation.js";
import type { ApprovalRow, SessionRow } from "./approvals.repository.js";
import { ApprovalsService } from "./approvals.service.js";
import { assertionSchema } from "./passkeys.controller.js";
import { ConsoleSessionGuard, CurrentSession } from "./session.guard.js";

const SUBJECT_ID: Record<ApprovalSubjectKind, RegExp> = {
  operation: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  policy: /^[0-9a-f]{64}$/,
};

/** @throws {ValidationError} naming `kind` or `id`. */
function parseSubject(kind: string, id: string): { kind: ApprovalSubjectKind; id: string } {
  if (kind !== "operation" && kind !== "policy") {
    throw new ValidationError("invalid_value", "kind", "expected operation or policy");
  }
  if (!SUBJECT_ID[kind].test(id)) {
    throw new ValidationError(
      "invalid_id",
      "id",
      kind === "operation" ? "expected an operation UUID" : "expected a 64-hex policy hash",
    );
  }
  return { kind, id };
}

const approveSchema = z.strictObject({ challengeId: z.uuid("must be a UUID"), response: assertionSchema });
const rejectSchema = z.strictObject({
  reason: z.string().trim().min(1, "must not be empty").max(500, "must be at most 500 characters"),
});

function decisionView(row: ApprovalRow) {
  return {
    id: row.id,
    kind: row.subjectKind,
    subjectId: row.subjectId,
    digest: row.subjectDigest,
    approverId: row.approverId,
    credentialId: row.credentialId,
    decision: row.decision,
    reason: row.reason,
    createdAt: row.createdAt.toISOString(),
  };
}

/** The approver console's approval routes (session cookie + CSRF token) and the evidence export. */
@ApiTags("approvals")
@Controller()
export class ApprovalsController {
  constructor(@Inject(ApprovalsService) private readonly approvals: ApprovalsService) {}

  @Get("v1/console/approvals")
  @Public()
  @UseGuards(ConsoleSessionGuard)
  @ApiCookieAuth()
  async list(@CurrentSession() session: SessionRow): Promise<unknown> {
    return { items: await this.approvals.pending(session.approverId) };
  }

  @Get("v1/console/approvals/:kind/:id")
  @Public()
  @UseGuards(ConsoleSessionGuard)
  @ApiCookieAuth()
  async show(
    @CurrentSession() session: SessionRow,
    @Param("kind") kind: string,
    @Param("id") id: string,
  ): Promise<unknown> {
    const s = parseSubject(kind, id);
    return this.approvals.detail(s.kind, s.id, session.approverId);
  }

  @Post("v1/console/approvals/:kind/:id/challenge")
  @Public()
  @UseGuards(ConsoleSessionGuard)
  @ApiCookieAuth()
  @HttpCode(200)
  async challenge(
    @CurrentSession() session: SessionRow,
    @Param("kind") kind: string,
    @Param("id") id: string,
  ): Promise<unknown> {
    const s = parseSubject(kind, id);
    return this.approvals.challenge(s.kind, s.id, session);
  }

  @Post("v1/console/approvals/:kind/:id/approve")
  @Public()
  @UseGuards(ConsoleSessionGuard)
  @ApiCookieAuth()
  @HttpCode(201)
  async approve(
    @CurrentSession() session: SessionRow,
    @Param("kind") kind: string,
    @Param("id") id: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const s = parseSubject(kind, id);
    const input = parseInput(approveSchema, body, "body");
    const result = await this.approvals.approve(
      s.kind,
      s.id,
      session,
      input.challengeId,
      input.response as unknown as AuthenticationResponseJSON,
    );
    return {
      ...decisionView(result.approval),
      thresholdReached: result.thresholdReached,
      ...(result.activated !== undefined ? { activated: result.activated } : {}),
      ...(result.status !== undefined ? { operationStatus: result.status } : {}),
    };
  }

  @Post("v1/console/approvals/:kind/:id/reject")
  @Public()
  @UseGuards(ConsoleSessionGuard)
  @ApiCookieAuth()
  @HttpCode(201)
  async reject(
    @CurrentSession() session: SessionRow,
    @Param("kind") kind: string,
    @Param("id") id: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const s = parseSubject(kind, id);
    const { reason } = parseInput(rejectSchema, body, "body");
    return decisionView(await this.approvals.reject(s.kind, s.id, session, reason));
  }

  /** The stored approval evidence of a subject, re-verifiable without this service. */
  @Get("v1/approvals/:kind/:id/evidence")
  @Roles("operator", "admin", "auditor")
  @ApiBearerAuth()
  async evidence(@Param("kind") kind: string, @Param("id") id: string): Promise<unknown> {
    const s = parseSubject(kind, id);
    return { items: await this.approvals.evidence(s.kind, s.id) };
  }
}
