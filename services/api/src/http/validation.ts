import type { z } from "zod";
import { ValidationError } from "../../../shared/src/errors.js";

/**
 * Parses untrusted input with a zod schema and turns the first problem into a
 * {@link ValidationError} naming the field (`body.name`-style paths are reported as `name`).
 *
 * @throws {ValidationError} `unknown_field`, `invalid_type`, `too_long`, `too_short`, `invalid_value`.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, root: string): z.infer<S> {
  if (input === undefined || input === null) {
    throw new ValidationError("missing_body", root, `a JSON object is required in the ${root}`);
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const field = path ? `${path}.${issue.keys[0]}` : issue.keys[0]!;
    throw new ValidationError(
      "unknown_field",
      field,
      `unknown field '${issue.keys.join("', '")}' is not accepted`,
    );
  }
  const field = path || root;
  const code =
    issue.code === "invalid_type"
      ? "invalid_type"
      : issue.code === "too_big"
        ? "too_long"
        : issue.code === "too_small"
          ? "too_short"
          : "invalid_value";
  throw new ValidationError(code, field, issue.message);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** @throws {ValidationError} `invalid_id` when `value` is not a lower-case UUID. */
export function parseUuid(value: string, field: string): string {
  if (!UUID.test(value))
    throw new ValidationError("invalid_id", field, `'${value.slice(0, 64)}' is not a UUID`);
  return value;
}

/** Idempotency keys: 1 to 128 visible ASCII characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

/** @throws {ValidationError} `missing_idempotency_key` / `invalid_idempotency_key` naming the header. */
export function parseIdempotencyKey(value: string | string[] | undefined): string {
  if (value === undefined || value === "") {
    throw new ValidationError(
      "missing_idempotency_key",
      "Idempotency-Key",
      "every POST needs an Idempotency-Key header",
    );
  }
  if (typeof value !== "string" || !IDEMPOTENCY_KEY.test(value)) {
    throw new ValidationError(
      "invalid_idempotency_key",
      "Idempotency-Key",
      "expected 1 to 128 visible ASCII characters",
    );
  }
  return value;
}
