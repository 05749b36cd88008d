import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from "@nestjs/common";
import type { FastifyReply, FastifyRequest } from "fastify";
import { ServiceError } from "../../../shared/src/errors.js";
import type { JsonLogger } from "../logger.js";
import { LOGGER } from "../tokens.js";

/** The error body every failure returns. */
export interface ErrorBody {
  error: { code: string; field?: string; message: string };
}

const BODY_ERRORS: Record<number, string> = {
  400: "malformed_body",
  413: "body_too_large",
  415: "unsupported_media_type",
};

/**
 * Maps any error to `{ error: { code, field?, message } }`. Body problems reported by fastify
 * (too large, malformed JSON, wrong content type) become 400 naming `body`; anything unexpected
 * becomes a 500 that reveals nothing and is logged.
 */
export function toErrorResponse(error: unknown, logger: JsonLogger, requestId?: string): [number, ErrorBody] {
  if (error instanceof ServiceError) return [error.status, error.toBody()];
  const fastifyCode = (error as { code?: unknown }).code;
  if (typeof fastifyCode === "string" && fastifyCode.startsWith("FST_ERR_CTP_")) {
    const code =
      fastifyCode === "FST_ERR_CTP_BODY_TOO_LARGE"
        ? "body_too_large"
        : fastifyCode === "FST_ERR_CTP_INVALID_MEDIA_TYPE"
          ? "unsupported_media_type"
          : "malformed_body";
    return [400, { error: { code, field: "body", message: (error as Error).message } }];
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    // Nest wraps fastify's body-parser failures; they are the client's input errors.
    const bodyCode = BODY_ERRORS[status];
    if (bodyCode) return [400, { error: { code: bodyCode, field: "body", message: error.message } }];
    const code = status === 404 ? "not_found" : status === 405 ? "method_not_allowed" : `http_${status}`;
    return [status, { error: { code, message: status === 404 ? "no such route" : error.message } }];
  }
  logger.emit("error", "unhandled error", {
    requestId,
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    stack: error instanceof Error ? error.stack : undefined,
  });
  return [500, { error: { code: "internal", message: "internal error" } }];
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: JsonLogger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const [status, body] = toErrorResponse(error, this.logger, request.id);
    void reply.status(status).send(body);
  }
}
