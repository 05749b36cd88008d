import { parseArgs } from "node:util";
import { ToolkitError } from "../errors.js";

/** One option of a command, as `node:util` parseArgs understands it, plus help text. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly multiple?: boolean;
  readonly short?: string;
  readonly description: string;
  readonly required?: boolean;
  /** Placeholder shown in the help, e.g. FILE. */
  readonly value?: string;
}

/** What a command returns: data for `--json` and text for people. */
export interface CommandResult {
  readonly json: unknown;
  readonly text: string;
}

/** Parsed option values: strings, booleans or string lists. */
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** What a command may touch besides the filesystem. */
export interface CliIo {
  /** Prints one line or block to standard output. */
  out(text: string): void;
  /** Prints one line or block to standard error. */
  err(text: string): void;
  /** True when a person can answer prompts. */
  readonly interactive: boolean;
  /** Asks a question and returns the answer (only when interactive). */
  prompt(question: string, options?: { secret?: boolean }): Promise<string>;
  /** Environment variables (passphrases may come from here in scripts). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A CLI command. */
export interface CommandSpec {
  /** Words that name the command, e.g. ["frost", "round1"]. */
  readonly name: readonly string[];
  readonly summary: string;
  /** Longer explanation shown by --help. */
  readonly details?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Whether the command takes positional arguments, and how they are shown in the help. */
  readonly positionals?: string;
  readonly examples?: readonly string[];
  run(values: OptionValues, positionals: string[], io: CliIo): Promise<CommandResult>;
}

/** Bad command line: unknown command, unknown option, missing required option. */
export class UsageError extends ToolkitError {
  constructor(message: string) {
    super("USAGE", message);
  }
}

const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: "boolean", short: "h", description: "show this help" },
  json: { type: "boolean", description: "print machine-readable JSON on standard output" },
};

/** Formats the help of one command. */
export function commandHelp(cmd: CommandSpec): string {
  const options = { ...cmd.options, ...COMMON_OPTIONS };
  const lines = [`coldpath ${cmd.name.join(" ")}: ${cmd.summary}`, ""];
  const usage = Object.entries(cmd.options)
    .filter(([, o]) => o.required)
    .map(([k, o]) => `--${k} ${o.value ?? "VALUE"}`);
  lines.push(
    `Usage: coldpath ${cmd.name.join(" ")} ${[...usage, "[options]", cmd.positionals ?? ""].join(" ").trim()}`,
  );
  if (cmd.details) lines.push("", cmd.details);
  lines.push("", "Options:");
  for (const [name, o] of Object.entries(options)) {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${name}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}`;
    const notes = [o.required ? "required" : "", o.multiple ? "repeatable" : ""].filter(Boolean).join(", ");
    lines.push(`  ${flag.padEnd(34)} ${o.description}${notes ? ` (${notes})` : ""}`);
  }
  if (cmd.examples && cmd.examples.length > 0) {
    lines.push("", "Examples:", ...cmd.examples.map((e) => `  ${e}`));
  }
  return lines.join("\n");
}

/** Formats the list of commands. */
export function globalHelp(commands: readonly CommandSpec[]): string {
  const width = Math.max(...commands.map((c) => c.name.join(" ").length)) + 2;
  return [
    "coldpath: the offline key toolkit (ceremony, shares, cold signing, FROST, burn and sweep).",
    "It never uses a network; everything travels as files or QR codes.",
    "",
    "Usage: coldpath <command> [options]        coldpath <command> --help",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.join(" ").padEnd(width)}${c.summary}`),
    "",
    "Every command accepts --json (machine-readable output) and --help.",
  ].join("\n");
}

function findCommand(commands: readonly CommandSpec[], argv: readonly string[]): CommandSpec | undefined {
  let best: CommandSpec | undefined;
  for (const cmd of commands) {
    if (
      cmd.name.every((w, i) => argv[i] === w) &&
      (best === undefined || cmd.name.length > best.name.length)
    ) {
      best = cmd;
    }
  }
  return best;
}

function checkRequired(cmd: CommandSpec, values: OptionValues): void {
  for (const [name, o] of Object.entries(cmd.options)) {
    if (
      o.required &&
      (values[name] === undefined || (Array.isArray(values[name]) && values[name].length === 0))
    ) {
      throw new UsageError(`coldpath ${cmd.name.join(" ")}: --${name} is required (see --help)`);
    }
  }
}

/**
 * Runs the CLI: finds the command, parses its options strictly, runs it and prints either text
 * or JSON. Every failure becomes one line on standard error and a non-zero exit code:
 * 2 for a bad command line, 1 for input the toolkit refuses, 3 for an unexpected fault.
 *
 * @returns the process exit code
 */
export async function runCli(
  commands: readonly CommandSpec[],
  argv: readonly string[],
  io: CliIo,
): Promise<number> {
  const wantsJson = argv.includes("--json");
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    io.out(globalHelp(commands));
    return argv.length === 0 ? 2 : 0;
  }
  const cmd = findCommand(commands, argv);
  try {
    if (cmd === undefined) {
      const group = commands.filter((c) => c.name[0] === argv[0]);
      const hint =
        group.length > 0 ? ` (did you mean ${group.map((c) => `"${c.name.join(" ")}"`).join(", ")}?)` : "";
      throw new UsageError(
        `unknown command "${argv
          .filter((a) => !a.startsWith("-"))
          .slice(0, 2)
          .join(" ")}"${hint}; run coldpath --help`,
      );
    }
    const rest = argv.slice(cmd.name.length);
    let parsed: { values: OptionValues; positionals: string[] };
    try {
      parsed = parseArgs({
        args: [...rest],
        options: { ...cmd.options, ...COMMON_OPTIONS },
        strict: true,
        allowPositionals: cmd.positionals !== undefined,
      }) as { values: OptionValues; positionals: string[] };
    } catch (error) {
      throw new UsageError(`coldpath ${cmd.name.join(" ")}: ${(error as Error).message.split("\n")[0]}`);
    }
    if (parsed.values.help === true) {
      io.out(commandHelp(cmd));
      return 0;
    }
    checkRequired(cmd, parsed.values);
    const result = await cmd.run(parsed.values, parsed.positionals, io);
    io.out(wantsJson ? JSON.stringify(result.json, null, 2) : result.text);
    return 0;
  } catch (error) {
    // File-system errors (ENOENT, EACCES, ...) are bad input, not bugs.
    const errno = (error as NodeJS.ErrnoException).code;
    const known = error instanceof ToolkitError || (typeof errno === "string" && /^E[A-Z]+$/.test(errno));
    const code = error instanceof ToolkitError ? error.code : known ? (errno as string) : "INTERNAL";
    const message = (error as Error).message?.split("\n")[0] ?? String(error);
    if (wantsJson) io.out(JSON.stringify({ error: { code, message } }));
    io.err(`coldpath: error [${code}]: ${message}`);
    if (error instanceof UsageError) return 2;
    return known ? 1 : 3;
  }
}

/** Reads a string option, or throws a UsageError when it is required and absent. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new UsageError(`--${name} takes a value`);
  return v;
}

/** Reads a string option that must be present. */
export function requireString(values: OptionValues, name: string): string {
  const v = stringOption(values, name);
  if (v === undefined || v === "") throw new UsageError(`--${name} is required`);
  return v;
}

/**
 * Reads a list option given either repeated (`--share a --share b`) or comma separated
 * (`--shares a,b`).
 */
export function listOption(values: OptionValues, name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  const items = Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
  return items
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
