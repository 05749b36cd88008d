/**
 * Typed errors of the custody service. Every error carries a stable `code`, the HTTP status the
 * API answers with, and (for input errors) the public name of the offending field. Messages may
 * quote the offending public value but never a secret.
 */
export class ServiceError extends Error {
  readonly code: string;
  readonly status: number;
  readonly field: string | undefined;

  constructor(code: string, status: number, message: string, field?: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.field = field;
  }

  /** The JSON body the API returns for this error. */
  toBody(): { error: { code: string; field?: string; message: string } } {
    const error: { code: string; field?: string; message: string } = {
      code: this.code,
      message: this.message,
    };
    if (this.field !== undefined) error.field = this.field;
    return { error };
  }
}

/** Bad client input: answered with 400 and the field that failed. */
export class ValidationError extends ServiceError {
  constructor(code: string, field: string, message: string) {
    super(code, 400, message, field);
  }
}

/** Missing or unknown credentials: 401. */
export class UnauthorizedError extends ServiceError {
  constructor(message = "a valid API key is required in 'Authorization: Bearer <key>'") {
    super("unauthorized", 401, message);
  }
}

/** Valid credentials without the role the route needs: 403. */
export class ForbiddenError extends ServiceError {
  readonly role: string;
  constructor(role: string, allowed: readonly string[]) {
    super("forbidden", 403, `role '${role}' may not call this route (needs ${allowed.join(" or ")})`);
    this.role = role;
  }
}

/** A resource that does not exist: 404. */
export class NotFoundError extends ServiceError {
  constructor(what: string, id: string) {
    super("not_found", 404, `${what} '${id}' does not exist`);
  }
}

/** A request that conflicts with stored state, such as a reused idempotency key: 409. */
export class ConflictError extends ServiceError {
  constructor(code: string, message: string, field?: string) {
    super(code, 409, message, field);
  }
}

/** The service configuration is invalid; names every bad variable. */
export class ConfigError extends Error {
  readonly code = "invalid_config";
  readonly variables: readonly string[];
  constructor(problems: readonly { variable: string; message: string }[]) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join("; ")}`);
    this.name = "ConfigError";
    this.variables = problems.map((p) => p.variable);
  }
}
