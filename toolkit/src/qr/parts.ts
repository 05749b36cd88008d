import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { IntegrityError, InvalidInputError } from "../errors.js";
import { base45Decode, base45Encode } from "./base45.js";

/**
 * Text carried by each QR code: `CP1:<part>/<total>:<set id>:<base45 chunk>`.
 *
 * The set id is the first 8 bytes (16 upper-case hex digits) of the sha256 of the whole
 * payload: it keeps parts of different payloads apart and, after reassembly, checks the
 * result. Every character is in QR's alphanumeric set.
 */
export const QR_PART_PREFIX = "CP1";

/** Default base45 characters per QR code: a version-25-ish symbol a phone camera reads easily. */
export const DEFAULT_QR_CHUNK = 1000;

const PART_PATTERN = /^CP1:(\d{1,4})\/(\d{1,4}):([0-9A-F]{16}):([0-9A-Z $%*+\-./:]*)$/;

function setId(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes).subarray(0, 8)).toUpperCase();
}

/**
 * Splits data into QR part strings, numbered from 1.
 *
 * @param data - text (usually a serialised envelope) or bytes
 * @param chunk - base45 characters per part (at least 16)
 * @throws {InvalidInputError} when chunk is too small or the data would need over 9999 parts
 * @example
 * splitIntoParts(serializeEnvelope(env)); // ["CP1:1/2:3FA1...:...", "CP1:2/2:3FA1...:..."]
 */
export function splitIntoParts(data: string | Uint8Array, chunk = DEFAULT_QR_CHUNK): string[] {
  if (!Number.isSafeInteger(chunk) || chunk < 16) {
    throw new InvalidInputError("chunk", `must be an integer of at least 16, got ${chunk}`);
  }
  const bytes = typeof data === "string" ? utf8ToBytes(data) : data;
  const encoded = base45Encode(bytes);
  const total = Math.max(1, Math.ceil(encoded.length / chunk));
  if (total > 9999)
    throw new InvalidInputError("data", `needs ${total} QR parts; at most 9999 are supported`);
  const id = setId(bytes);
  const parts: string[] = [];
  for (let i = 0; i < total; i++) {
    parts.push(`${QR_PART_PREFIX}:${i + 1}/${total}:${id}:${encoded.slice(i * chunk, (i + 1) * chunk)}`);
  }
  return parts;
}

interface ParsedPart {
  readonly index: number;
  readonly total: number;
  readonly id: string;
  readonly chunk: string;
}

function parsePart(text: string, position: number): ParsedPart {
  // Only line breaks and tabs may be stripped: a space is a base45 digit, and a chunk may start or
  // end with one.
  const match = PART_PATTERN.exec(text.replace(/^[\r\n\t]+|[\r\n\t]+$/g, ""));
  if (match === null) {
    throw new InvalidInputError(
      `parts[${position}]`,
      `not a ${QR_PART_PREFIX} QR part (starts ${JSON.stringify(text.slice(0, 12))})`,
    );
  }
  const index = Number(match[1]);
  const total = Number(match[2]);
  if (total < 1 || index < 1 || index > total) {
    throw new InvalidInputError(`parts[${position}]`, `part number ${index}/${total} is out of range`);
  }
  return { index, total, id: match[3]!, chunk: match[4]! };
}

/**
 * Reassembles QR parts given in any order (duplicates allowed if identical) and checks the
 * result against the set id.
 *
 * @returns the original bytes
 * @throws {InvalidInputError} on malformed parts, parts of different sets, conflicting
 *   duplicates or missing parts (the message lists the missing numbers)
 * @throws {IntegrityError} when the reassembled data does not hash to the set id
 */
export function reassembleParts(parts: readonly string[]): Uint8Array {
  if (parts.length === 0) throw new InvalidInputError("parts", "no QR parts given");
  const parsed = parts.map(parsePart);
  const first = parsed[0]!;
  const byIndex = new Map<number, string>();
  for (const [i, part] of parsed.entries()) {
    if (part.id !== first.id || part.total !== first.total) {
      throw new InvalidInputError(
        `parts[${i}]`,
        `belongs to set ${part.id} (${part.total} parts), not ${first.id} (${first.total} parts)`,
      );
    }
    const seen = byIndex.get(part.index);
    if (seen !== undefined && seen !== part.chunk) {
      throw new InvalidInputError(`parts[${i}]`, `two different contents for part ${part.index}`);
    }
    byIndex.set(part.index, part.chunk);
  }
  const missing: number[] = [];
  for (let i = 1; i <= first.total; i++) if (!byIndex.has(i)) missing.push(i);
  if (missing.length > 0) {
    throw new InvalidInputError("parts", `missing part(s) ${missing.join(", ")} of ${first.total}`);
  }
  let encoded = "";
  for (let i = 1; i <= first.total; i++) encoded += byIndex.get(i)!;
  const bytes = base45Decode(encoded, "parts");
  if (setId(bytes) !== first.id) {
    throw new IntegrityError("QR parts", `reassembled data does not match set id ${first.id}`);
  }
  return bytes;
}

/** {@link reassembleParts}, decoded as UTF-8 text. */
export function reassembleText(parts: readonly string[]): string {
  return new TextDecoder("utf-8", { fatal: true }).decode(reassembleParts(parts));
}
