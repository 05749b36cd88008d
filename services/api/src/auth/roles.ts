import { SetMetadata, createParamDecorator, type ExecutionContext } from "@nestjs/common";
import type { ApiKeyRole } from "../../../db/src/schema.js";

export const ROLES_METADATA = "coldpath:roles";
export const PUBLIC_METADATA = "coldpath:public";

/** The authenticated caller, attached to the request by the guard. */
export interface Principal {
  readonly keyId: string;
  readonly role: ApiKeyRole;
  /** How the audit log names this caller. */
  readonly actor: string;
}

export interface AuthenticatedRequest {
  principal?: Principal;
}

/** Roles allowed to call a route. Routes without `@Roles` or `@Public` are refused to everyone. */
export const Roles = (...roles: ApiKeyRole[]) => SetMetadata(ROLES_METADATA, roles);

/** Routes anyone may call (health, metrics). */
export const Public = () => SetMetadata(PUBLIC_METADATA, true);

/** Injects the authenticated principal into a handler parameter. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const request = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.principal) throw new Error("CurrentPrincipal used on a route without authentication");
  return request.principal;
});
