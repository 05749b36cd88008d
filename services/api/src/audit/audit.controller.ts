import { Controller, Get, Inject, Query } from "@nestjs/common";
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiQuery, ApiTags } from "@nestjs/swagger";
import { z } from "zod";
import { Roles } from "../auth/roles.js";
import { parseInput } from "../http/validation.js";
import { verifyAuditChain } from "../../../db/src/audit-chain.js";
import { AuditService } from "./audit.service.js";

const auditQuerySchema = z.strictObject({
  after: z.coerce.number().int("must be an integer").min(0).default(0),
  limit: z.coerce.number().int("must be an integer").min(1).max(500).default(100),
});

export class AuditEntryResponse {
  @ApiProperty({ type: Number }) seq!: number;
  @ApiProperty({ type: String, format: "date-time" }) at!: string;
  @ApiProperty({ type: String }) actor!: string;
  @ApiProperty({ type: String }) action!: string;
  @ApiProperty({ type: Object }) payload!: unknown;
  @ApiProperty({ type: String }) prevHash!: string;
  @ApiProperty({ type: String }) hash!: string;
}

export class AuditPage {
  @ApiProperty({ type: () => [AuditEntryResponse] }) items!: AuditEntryResponse[];
  @ApiProperty({ type: Number, nullable: true, description: "pass as `after` for the next page" })
  next!: number | null;
}

export class AuditVerdict {
  @ApiProperty({ type: Boolean }) ok!: boolean;
  @ApiProperty({ type: Number }) rows!: number;
  @ApiProperty({ type: String, required: false }) headHash?: string;
  @ApiProperty({ type: Number, required: false, description: "seq of the first row that fails" })
  firstBadSeq?: number;
  @ApiProperty({ type: String, required: false, enum: ["seq_gap", "prev_hash_mismatch", "hash_mismatch"] })
  reason?: string;
  @ApiProperty({ type: String, required: false }) message?: string;
}

@ApiTags("audit")
@ApiBearerAuth()
@Controller("v1/audit")
@Roles("auditor")
export class AuditController {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  @Get()
  @ApiQuery({ name: "after", required: false, type: Number })
  @ApiQuery({ name: "limit", required: false, type: Number })
  @ApiOkResponse({ type: AuditPage })
  async list(@Query() query: unknown): Promise<AuditPage> {
    const { after, limit } = parseInput(auditQuerySchema, query ?? {}, "query");
    const rows = await this.audit.page(after, limit);
    return {
      items: rows.map((r) => ({ ...r, at: r.at.toISOString() })),
      next: rows.length === limit ? rows[rows.length - 1]!.seq : null,
    };
  }

  /**
   * Every row with the verification result; the answer is also a file `npm run audit:verify --
   * --file` re-verifies offline (compare `verdict.headHash` with one recorded elsewhere).
   */
  @Get("export")
  @ApiOkResponse({ description: "coldpath-audit-export/1: { format, exportedAt, rows, verdict }" })
  async export(): Promise<unknown> {
    const rows = await this.audit.all();
    return {
      format: "coldpath-audit-export/1",
      exportedAt: new Date().toISOString(),
      rows: rows.map((r) => ({ ...r, at: r.at.toISOString() })),
      verdict: verifyAuditChain(rows),
    };
  }

  /** Recomputes the whole chain; `ok: false` names the first row that does not check out. */
  @Get("verify")
  @ApiOkResponse({ type: AuditVerdict })
  async verify(): Promise<AuditVerdict> {
    return { ...(await this.audit.verify()) };
  }
}
