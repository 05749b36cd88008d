import { existsSync, readFileSync } from "node:fs";
import { InvalidInputError } from "../errors.js";
import type { ConfirmOptions } from "../chains/display.js";
import type { Envelope } from "../envelope/envelope.js";
import { writeEnvelopeFile } from "../envelope/files.js";
import type { CliIo, OptionSpec, OptionValues } from "./framework.js";
import { UsageError, listOption, stringOption } from "./framework.js";

/** Options every command that unlocks party key files accepts. */
export const PASSPHRASE_OPTIONS: Record<string, OptionSpec> = {
  passphrases: {
    type: "string",
    value: "P1,P2",
    description: "passphrases, comma separated, in the order of the key files (visible to ps: prefer files)",
  },
  "passphrase-file": {
    type: "string",
    value: "FILE",
    multiple: true,
    description: "file whose first line is a passphrase, one per key file in order",
  },
};

/** Options of commands that ask for confirmation of a request. */
export const CONFIRM_OPTIONS: Record<string, OptionSpec> = {
  "expect-digest": {
    type: "string",
    value: "HEX",
    description: "non-interactive confirmation: the digest you expect, obtained independently",
  },
  "allow-unknown-calls": { type: "boolean", description: "sign even if a contract call cannot be decoded" },
};

/** Reads a text file, naming the option on failure. */
export function readText(file: string, option: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new InvalidInputError(
      option,
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "EIO"})`,
    );
  }
}

/** Reads a JSON file, naming the option on failure. */
export function readJson(file: string, option: string): unknown {
  const text = readText(file, option);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(option, `${file} is not JSON (${(error as Error).message})`);
  }
}

/**
 * Returns one passphrase per key file: from --passphrases, --passphrase-file, the
 * COLDPATH_PASSPHRASE environment variable (a single key file only), or by asking.
 *
 * @throws {UsageError} when the counts differ or none can be obtained non-interactively
 */
export async function passphrasesFor(
  keyFiles: readonly string[],
  values: OptionValues,
  io: CliIo,
): Promise<string[]> {
  const inline = listOption(values, "passphrases");
  const files = listOption(values, "passphrase-file");
  if (inline.length > 0 && files.length > 0)
    throw new UsageError("give either --passphrases or --passphrase-file, not both");
  if (inline.length > 0 || files.length > 0) {
    const list =
      inline.length > 0 ? inline : files.map((f) => readText(f, "passphrase-file").split(/\r?\n/)[0] ?? "");
    if (list.length !== keyFiles.length) {
      throw new UsageError(`${keyFiles.length} key file(s) but ${list.length} passphrase(s)`);
    }
    return list;
  }
  const env = io.env.COLDPATH_PASSPHRASE;
  if (env !== undefined && keyFiles.length === 1) return [env];
  if (!io.interactive) {
    throw new UsageError(
      "no passphrase: use --passphrase-file, --passphrases or COLDPATH_PASSPHRASE, or run in a terminal",
    );
  }
  const out: string[] = [];
  for (const f of keyFiles) out.push(await io.prompt(`Passphrase for ${f}: `, { secret: true }));
  return out;
}

/** Confirmation options from the command line: the expected digest, else an interactive prompt. */
export function confirmOptions(values: OptionValues, io: CliIo): ConfirmOptions {
  const expected = stringOption(values, "expect-digest");
  const allowUnknownCalls = values["allow-unknown-calls"] === true;
  if (expected !== undefined) {
    return { expectedDigest: expected.startsWith("0x") ? expected : `0x${expected}`, allowUnknownCalls };
  }
  if (io.interactive) {
    return {
      allowUnknownCalls,
      prompt: async (lines, question) => {
        io.err(["", "=== TRUSTED DISPLAY: read every line ===", ...lines, ""].join("\n"));
        return io.prompt(question);
      },
    };
  }
  // confirm() refuses with CONFIRMATION_REQUIRED; nothing is signed.
  return { allowUnknownCalls };
}

/** Writes an envelope to --out, refusing to overwrite unless asked. */
export function writeOut(file: string, envelope: Envelope, overwrite = false, mode = 0o644): void {
  if (!overwrite && existsSync(file)) throw new InvalidInputError("out", `${file} already exists`);
  writeEnvelopeFile(file, envelope, mode);
}

/** Pairs share files with key files given in the same order. */
export function pairs(shares: readonly string[], keys: readonly string[]): { share: string; key: string }[] {
  if (shares.length === 0) throw new UsageError("give at least one --shares file");
  if (shares.length !== keys.length)
    throw new UsageError(`${shares.length} share file(s) but ${keys.length} key file(s)`);
  return shares.map((share, i) => ({ share, key: keys[i] as string }));
}
