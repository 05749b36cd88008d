import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { InvalidInputError } from "../errors.js";
import type { Envelope, EnvelopeType, Payload } from "./envelope.js";
import { parseEnvelope, serializeEnvelope } from "./envelope.js";

/**
 * Writes a file atomically: the data goes to a temporary file in the same directory, is flushed
 * to disk, then renamed over the target. A crash leaves either the old file or the new one,
 * never half of each (this matters for the nonce store and the burn registry as much as for
 * shares on a USB stick that is pulled too early).
 *
 * @param mode - file permission bits (0o600 for anything secret, even when encrypted)
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, "wx", mode);
  } catch (error) {
    throw new InvalidInputError(
      "file",
      `cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? "EIO"})`,
    );
  }
  try {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(tmp);
    throw error;
  }
  closeSync(fd);
  renameSync(tmp, path);
  // Persist the rename itself; not every platform lets a directory be opened, so best effort.
  try {
    const dirFd = openSync(dirname(path), "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // The data file is already synced; only the directory entry's durability is weaker.
  }
}

/**
 * Writes an envelope to a file atomically (canonical JSON plus a trailing newline).
 *
 * @example
 * writeEnvelopeFile("alice.party.json", createEnvelope("party-public", payload));
 */
export function writeEnvelopeFile(path: string, envelope: Envelope, mode = 0o600): void {
  writeFileAtomic(path, `${serializeEnvelope(envelope)}\n`, mode);
}

/**
 * Reads and validates an envelope file.
 *
 * @throws {InvalidInputError} when the file cannot be read or is not an envelope of the type
 * @throws {IntegrityError} when its checksum does not match
 */
export function readEnvelopeFile<P extends Payload = Payload>(
  path: string,
  expected?: EnvelopeType | readonly EnvelopeType[],
): Envelope<P> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "EIO";
    throw new InvalidInputError("file", `cannot read ${path} (${code})`);
  }
  try {
    return parseEnvelope<P>(text, expected);
  } catch (error) {
    if (error instanceof InvalidInputError) {
      throw new InvalidInputError(`${path}: ${error.field}`, error.message.slice(error.field.length + 2));
    }
    throw error;
  }
}
