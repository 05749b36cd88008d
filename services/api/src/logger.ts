import type { LoggerService } from "@nestjs/common";
import type { LogLevel } from "./config.js";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** Field names whose values are never written, whatever the caller passes. */
const SECRET_FIELDS = /authorization|token|secret|password|api[-_]?key|cookie/i;

type Fields = Record<string, unknown>;

/**
 * Structured JSON logs, one object per line, for the request log and for Nest's own messages.
 * Values under secret-looking field names are replaced by "[redacted]".
 */
export class JsonLogger implements LoggerService {
  readonly #minimum: number;
  readonly #write: (line: string) => void;

  constructor(level: LogLevel, write: (line: string) => void = (line) => process.stdout.write(line + "\n")) {
    this.#minimum = RANK[level];
    this.#write = write;
  }

  emit(level: Exclude<LogLevel, "silent">, msg: string, fields: Fields = {}): void {
    if (RANK[level] < this.#minimum) return;
    this.#write(JSON.stringify({ level, time: new Date().toISOString(), msg, ...redact(fields) }));
  }

  log(message: unknown, context?: string): void {
    this.emit("info", String(message), context ? { context } : {});
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.emit("error", String(message), { ...(context ? { context } : {}), ...(trace ? { trace } : {}) });
  }
  warn(message: unknown, context?: string): void {
    this.emit("warn", String(message), context ? { context } : {});
  }
  debug(message: unknown, context?: string): void {
    this.emit("debug", String(message), context ? { context } : {});
  }
  verbose(message: unknown, context?: string): void {
    this.emit("debug", String(message), context ? { context } : {});
  }
}

function redact(fields: Fields): Fields {
  const out: Fields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = SECRET_FIELDS.test(key) ? "[redacted]" : value;
  }
  return out;
}
