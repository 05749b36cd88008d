import {
  Inject,
  Injectable,
  createParamDecorator,
  type CanActivate,
  type ExecutionContext,
} from "@nestjs/common";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ApiConfig } from "../config.js";
import { CONFIG } from "../tokens.js";
import type { SessionRow } from "./approvals.repository.js";
import { csrfRefused } from "./errors.js";
import { PasskeysService, SESSION_TTL_MS } from "./passkeys.service.js";

/** The console session cookie: HttpOnly, SameSite=Strict, Path=/ (Secure on https origins). */
export const SESSION_COOKIE = "coldpath_console";

interface SessionRequest {
  consoleSession?: SessionRow;
}

/** Reads one cookie from the request's Cookie header. */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== "string") return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Sets (or, with `token` null, clears) the session cookie. */
export function setSessionCookie(reply: FastifyReply, config: ApiConfig, token: string | null): void {
  const secure = config.webauthnOrigins.every((o) => o.startsWith("https://")) ? "; Secure" : "";
  const maxAge = token === null ? 0 : Math.floor(SESSION_TTL_MS / 1000);
  void reply.header(
    "set-cookie",
    `${SESSION_COOKIE}=${token ?? ""}; Max-Age=${maxAge}; Path=/; HttpOnly; SameSite=Strict${secure}`,
  );
}

/**
 * Refuses cross-site writes: a state-changing console request must be JSON (a cross-site form or
 * a no-preflight fetch cannot send that) and, when the browser names its origin, come from one of
 * the configured origins. Session cookies are SameSite=Strict on top of this.
 *
 * @throws {ApprovalsError} `csrf_refused` (403).
 */
export function assertSameOriginWrite(request: FastifyRequest, config: ApiConfig): void {
  if (request.method === "GET" || request.method === "HEAD") return;
  const origin = request.headers.origin;
  if (typeof origin === "string" && !config.webauthnOrigins.includes(origin)) {
    throw csrfRefused(`origin ${origin.slice(0, 100)} may not call the console API`);
  }
  const type = request.headers["content-type"];
  if (typeof type !== "string" || !/^application\/json\b/i.test(type)) {
    throw csrfRefused("console writes must be sent as application/json");
  }
}

/**
 * Guard of the approver console's routes: a live session cookie, and on writes the session's
 * CSRF token in `X-CSRF-Token` plus the same-origin checks.
 */
@Injectable()
export class ConsoleSessionGuard implements CanActivate {
  constructor(
    @Inject(PasskeysService) private readonly passkeys: PasskeysService,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & SessionRequest>();
    const session = await this.passkeys.session(readCookie(request, SESSION_COOKIE));
    if (request.method !== "GET" && request.method !== "HEAD") {
      assertSameOriginWrite(request, this.config);
      const csrf = request.headers["x-csrf-token"];
      if (!this.passkeys.csrfMatches(session, typeof csrf === "string" ? csrf : undefined)) {
        throw csrfRefused("the X-CSRF-Token header is missing or wrong");
      }
    }
    request.consoleSession = session;
    return true;
  }
}

/** Injects the console session the guard found. */
export const CurrentSession = createParamDecorator((_data: unknown, ctx: ExecutionContext): SessionRow => {
  const request = ctx.switchToHttp().getRequest<SessionRequest>();
  if (!request.consoleSession) throw new Error("CurrentSession used on a route without ConsoleSessionGuard");
  return request.consoleSession;
});
