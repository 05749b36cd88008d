import { Inject, Injectable } from "@nestjs/common";
import type { JsonValue } from "../../../shared/src/canonical-json.js";
import { verifyAuditChain, type AuditRow, type ChainVerdict } from "../../../db/src/audit-chain.js";
import type { Database, Executor } from "../../../db/src/database.js";
import type { AuditRepository } from "../../../db/src/repositories.js";
import type { Principal } from "../auth/roles.js";
import { AUDIT_REPOSITORY, DATABASE } from "../tokens.js";

/** Writes and reads the hash-chained audit log. */
@Injectable()
export class AuditService {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(AUDIT_REPOSITORY) private readonly audit: AuditRepository,
  ) {}

  /** Records an action; call it with the transaction of the write it describes. */
  record(
    ex: Executor,
    actor: Principal | string,
    action: string,
    payload: JsonValue,
    at: Date,
  ): Promise<AuditRow> {
    return this.audit.append(
      ex,
      { actor: typeof actor === "string" ? actor : actor.actor, action, payload },
      at,
    );
  }

  page(afterSeq: number, limit: number): Promise<AuditRow[]> {
    return this.audit.page(this.database.db, afterSeq, limit);
  }

  /** Every row in seq order (the auditor's export). */
  all(): Promise<AuditRow[]> {
    return this.audit.all(this.database.db);
  }

  async verify(): Promise<ChainVerdict> {
    return verifyAuditChain(await this.audit.all(this.database.db));
  }
}
