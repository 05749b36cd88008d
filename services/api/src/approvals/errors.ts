import { ServiceError } from "../../../shared/src/errors.js";

/**
 * Refusals of the passkey, console-session and approval routes. Every one has a stable `code`
 * and, for input problems, the field at fault; none quotes a secret (codes, tokens, keys).
 */
export class ApprovalsError extends ServiceError {
  /** @param code stable machine-readable reason, e.g. `challenge_expired`. */
  constructor(code: string, status: number, message: string, field?: string) {
    super(code, status, message, field);
  }
}

/** 401 for the console: no session, or an expired or ended one. */
export function sessionRequired(message = "sign in to the console with a passkey first"): ApprovalsError {
  return new ApprovalsError("session_required", 401, message);
}

/** 403: a state-changing console request without the session's CSRF token or from a foreign origin. */
export function csrfRefused(message: string): ApprovalsError {
  return new ApprovalsError("csrf_refused", 403, message, "X-CSRF-Token");
}
