import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { IntegrityError, InvalidInputError } from "../errors.js";
import { canonicalJson } from "./canonical.js";

/** The only envelope format version this toolkit reads and writes. */
export const ENVELOPE_VERSION = 1;

/**
 * Everything that crosses the air gap, by kind. A reader always states which kind it expects,
 * so a round-2 file handed to a command that wants a share is refused before it is used.
 */
export const ENVELOPE_TYPES = [
  "party-public",
  "party-secret",
  "share",
  "transcript",
  "signing-request",
  "round1",
  "signing-package",
  "round2",
  "signature",
  "signed-transaction",
  "burn-registry",
  "sweep-plan",
] as const;

/** One of {@link ENVELOPE_TYPES}. */
export type EnvelopeType = (typeof ENVELOPE_TYPES)[number];

/** A JSON object payload. */
export type Payload = Record<string, unknown>;

/** A versioned, checksummed container for one artefact. */
export interface Envelope<P extends Payload = Payload> {
  readonly coldpath: typeof ENVELOPE_VERSION;
  readonly type: EnvelopeType;
  readonly payload: P;
  readonly checksum: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

function isEnvelopeType(value: unknown): value is EnvelopeType {
  return typeof value === "string" && (ENVELOPE_TYPES as readonly string[]).includes(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Computes the checksum of an envelope: sha256 (hex) of the canonical JSON of
 * `{ coldpath, type, payload }`.
 *
 * @throws {InvalidInputError} when the payload holds values canonical JSON cannot represent
 */
export function envelopeChecksum(type: EnvelopeType, payload: Payload): string {
  const body = canonicalJson({ coldpath: ENVELOPE_VERSION, type, payload }, "payload");
  return bytesToHex(sha256(utf8ToBytes(body)));
}

/**
 * Wraps a payload in a checksummed envelope.
 *
 * @throws {InvalidInputError} on an unknown type or a payload that is not plain JSON
 * @example
 * const env = createEnvelope("party-public", { name: "alice", ... });
 */
export function createEnvelope<P extends Payload>(type: EnvelopeType, payload: P): Envelope<P> {
  if (!isEnvelopeType(type)) throw new InvalidInputError("type", `unknown envelope type ${String(type)}`);
  if (!isPlainObject(payload)) throw new InvalidInputError("payload", "must be a JSON object");
  // Round-trip through canonical JSON so the envelope holds exactly what the checksum covers.
  const frozen = JSON.parse(canonicalJson(payload, "payload")) as P;
  return Object.freeze({
    coldpath: ENVELOPE_VERSION,
    type,
    payload: frozen,
    checksum: envelopeChecksum(type, frozen),
  });
}

/**
 * Validates a parsed value as an envelope of the expected type(s) and checks its checksum.
 *
 * @param value - the parsed JSON
 * @param expected - the type (or types) the caller accepts; omit to accept any known type
 * @throws {InvalidInputError} on a wrong shape, an unknown version or type, an unexpected type
 * @throws {IntegrityError} when the checksum does not match (subject names the envelope type)
 */
export function openEnvelope<P extends Payload = Payload>(
  value: unknown,
  expected?: EnvelopeType | readonly EnvelopeType[],
): Envelope<P> {
  if (!isPlainObject(value)) throw new InvalidInputError("envelope", "must be a JSON object");
  const extra = Object.keys(value).filter((k) => !["coldpath", "type", "payload", "checksum"].includes(k));
  if (extra.length > 0) throw new InvalidInputError("envelope", `unknown field(s) ${extra.join(", ")}`);
  if (value.coldpath !== ENVELOPE_VERSION) {
    throw new InvalidInputError(
      "envelope.coldpath",
      `unsupported envelope version ${JSON.stringify(value.coldpath) ?? "undefined"} (this toolkit reads version ${ENVELOPE_VERSION})`,
    );
  }
  if (!isEnvelopeType(value.type)) {
    throw new InvalidInputError(
      "envelope.type",
      `unknown envelope type ${JSON.stringify(value.type) ?? "undefined"}`,
    );
  }
  const wanted = expected === undefined ? undefined : typeof expected === "string" ? [expected] : expected;
  if (wanted !== undefined && !wanted.includes(value.type)) {
    throw new InvalidInputError("envelope.type", `expected ${wanted.join(" or ")}, got ${value.type}`);
  }
  if (!isPlainObject(value.payload)) throw new InvalidInputError("envelope.payload", "must be a JSON object");
  if (typeof value.checksum !== "string" || !HEX64.test(value.checksum)) {
    throw new InvalidInputError("envelope.checksum", "must be 64 lowercase hex characters");
  }
  const actual = envelopeChecksum(value.type, value.payload);
  if (actual !== value.checksum) {
    throw new IntegrityError(
      `${value.type} envelope`,
      `checksum mismatch (recorded ${value.checksum}, computed ${actual}): the file was altered or damaged`,
    );
  }
  return Object.freeze({
    coldpath: ENVELOPE_VERSION,
    type: value.type,
    payload: value.payload as P,
    checksum: value.checksum,
  });
}

/**
 * Parses envelope text (JSON) and validates it with {@link openEnvelope}.
 *
 * @throws {InvalidInputError} when the text is not JSON or not an envelope
 * @throws {IntegrityError} on a checksum mismatch
 */
export function parseEnvelope<P extends Payload = Payload>(
  text: string,
  expected?: EnvelopeType | readonly EnvelopeType[],
): Envelope<P> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError("envelope", `not valid JSON (${(error as Error).message})`);
  }
  return openEnvelope<P>(value, expected);
}

/** Serialises an envelope for a file or a QR code: canonical JSON, one line. */
export function serializeEnvelope(envelope: Envelope): string {
  return canonicalJson(
    {
      coldpath: envelope.coldpath,
      type: envelope.type,
      payload: envelope.payload,
      checksum: envelope.checksum,
    },
    "envelope",
  );
}

/** The sha256 (hex) of an envelope's serialised bytes, as recorded in transcripts. */
export function envelopeDigest(envelope: Envelope): string {
  return bytesToHex(sha256(utf8ToBytes(serializeEnvelope(envelope))));
}
