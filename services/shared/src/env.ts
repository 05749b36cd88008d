/**
 * Reading configuration from the environment, the same way in every loader: an empty value counts
 * as unset, and every invalid variable is reported at once in one {@link ConfigError}.
 */
import type { z } from "zod";
import { ConfigError } from "./errors.js";

/** The variables of `env` that hold a value (empty means unset), optionally only those `wanted`. */
export function setVariables(
  env: Readonly<Record<string, string | undefined>>,
  wanted: (name: string) => boolean = () => true,
): Record<string, string> {
  const set: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value !== "" && wanted(name)) set[name] = value;
  }
  return set;
}

/**
 * Validates `variables` with `schema`.
 *
 * @throws {ConfigError} naming every invalid variable and why.
 * @example parseEnv(z.object({ PORT: z.coerce.number() }), setVariables(process.env)).PORT
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  variables: Readonly<Record<string, string>>,
): z.output<S> {
  const parsed = schema.safeParse(variables);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? "environment"),
        message: issue.message,
      })),
    );
  }
  return parsed.data;
}
