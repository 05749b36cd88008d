import { Controller, Get, Header, Inject } from "@nestjs/common";
import { ApiExcludeEndpoint, ApiOkResponse, ApiTags } from "@nestjs/swagger";
import { sql } from "drizzle-orm";
import type { Database } from "../../../db/src/database.js";
import { Public } from "../auth/roles.js";
import type { HttpMetrics } from "../http/metrics.js";
import { DATABASE, METRICS } from "../tokens.js";

@ApiTags("health")
@Controller()
@Public()
export class HealthController {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(METRICS) private readonly metrics: HttpMetrics,
  ) {}

  /** Liveness plus a database round trip. */
  @Get("health")
  @ApiOkResponse({ description: "`{ status: 'ok', database: 'pglite' | 'postgres' }`" })
  async health(): Promise<{ status: "ok"; database: string }> {
    await this.database.db.execute(sql`select 1`);
    return { status: "ok", database: this.database.kind };
  }

  @Get("metrics")
  @ApiExcludeEndpoint()
  @Header("content-type", "text/plain; version=0.0.4; charset=utf-8")
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
