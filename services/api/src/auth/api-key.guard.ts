import { Inject, Injectable, type CanActivate, type ExecutionContext } from "@nestjs/common";
import { Reflector } from "@nestjs/core";
import type { FastifyRequest } from "fastify";
import type { Database } from "../../../db/src/database.js";
import type { ApiKeyRow, ApiKeysRepository } from "../../../db/src/repositories.js";
import type { ApiKeyRole } from "../../../db/src/schema.js";
import { ForbiddenError, UnauthorizedError } from "../../../shared/src/errors.js";
import { API_KEYS_REPOSITORY, DATABASE } from "../tokens.js";
import { parseApiKeyToken, secretMatches } from "./api-key-tokens.js";
import { VerifiedKeyCache } from "./verified-key-cache.js";
import { PUBLIC_METADATA, ROLES_METADATA, type AuthenticatedRequest } from "./roles.js";

/**
 * Global guard: every route needs a valid, unrevoked API key in `Authorization: Bearer <key>`
 * (401 otherwise) whose role is listed by the route's `@Roles` (403 otherwise). Deny by default:
 * a route that declares neither `@Roles` nor `@Public` is closed to every role.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(DATABASE) private readonly database: Database,
    @Inject(API_KEYS_REPOSITORY) private readonly keys: ApiKeysRepository,
    @Inject(VerifiedKeyCache) private readonly cache: VerifiedKeyCache,
  ) {}

  /** The key's row, from the short-lived cache or the database (see {@link VerifiedKeyCache}). */
  async #row(id: string): Promise<ApiKeyRow | undefined> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const generation = this.cache.generation(id);
    const row = await this.keys.findById(this.database.db, id);
    if (row) this.cache.put(row, generation);
    return row;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_METADATA, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === "string" ? /^Bearer (\S+)$/i.exec(header) : null;
    const parsed = match ? parseApiKeyToken(match[1]!) : undefined;
    if (!parsed) throw new UnauthorizedError();
    const row = await this.#row(parsed.id);
    if (!row || row.revokedAt !== null || !secretMatches(row, parsed.secret)) {
      throw new UnauthorizedError("unknown or revoked API key");
    }
    request.principal = { keyId: row.id, role: row.role, actor: `api-key:${row.id}` };
    const allowed = this.reflector.getAllAndOverride<ApiKeyRole[] | undefined>(ROLES_METADATA, targets) ?? [];
    if (!allowed.includes(row.role))
      throw new ForbiddenError(row.role, allowed.length ? allowed : ["(none)"]);
    return true;
  }
}
