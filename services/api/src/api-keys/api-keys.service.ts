import { Inject, Injectable } from "@nestjs/common";
import type { Database, Executor } from "../../../db/src/database.js";
import type { ApiKeysRepository } from "../../../db/src/repositories.js";
import type { ApiKeyRole } from "../../../db/src/schema.js";
import { NotFoundError } from "../../../shared/src/errors.js";
import { AuditService } from "../audit/audit.service.js";
import { issueApiKey, type IssuedKey } from "../auth/api-key-tokens.js";
import type { Principal } from "../auth/roles.js";
import { API_KEYS_REPOSITORY, DATABASE } from "../tokens.js";

@Injectable()
export class ApiKeysService {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(API_KEYS_REPOSITORY) private readonly keys: ApiKeysRepository,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  /** Creates a key and audits it (id, name, role; never the token). */
  async create(
    ex: Executor,
    actor: Principal | string,
    name: string,
    role: ApiKeyRole,
    now: Date,
  ): Promise<IssuedKey> {
    const issued = issueApiKey(name, role, now);
    await this.keys.insert(ex, issued.row);
    await this.audit.record(ex, actor, "api_key.created", { id: issued.row.id, name, role }, now);
    return issued;
  }

  /** @throws {NotFoundError} when the key does not exist. */
  async revoke(ex: Executor, actor: Principal, id: string, now: Date): Promise<void> {
    const row = await this.keys.findById(ex, id);
    if (!row) throw new NotFoundError("api key", id);
    if (row.revokedAt !== null) return;
    await this.keys.revoke(ex, id, now);
    await this.audit.record(ex, actor, "api_key.revoked", { id }, now);
  }

  countActiveAdmins(): Promise<number> {
    return this.keys.countActive(this.database.db, "admin");
  }
}
