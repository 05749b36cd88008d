import { readFileSync } from "node:fs";
import { InvalidInputError } from "../errors.js";
import type { Envelope } from "../envelope/envelope.js";
import { createEnvelope, openEnvelope } from "../envelope/envelope.js";
import type { ColdRequest, DecodedRequest } from "../chains/request.js";
import { decodeRequest } from "../chains/request.js";

/** Payload of a "signing-request" envelope: the chains module's prepared request. */
export type RequestPayload = ColdRequest & Record<string, unknown>;

/** Wraps a prepared request in a "signing-request" envelope for the air gap. */
export function requestEnvelope(request: ColdRequest): Envelope<RequestPayload> {
  return createEnvelope<RequestPayload>("signing-request", { ...request } as RequestPayload);
}

/**
 * Reads a prepared request from a file: either a "signing-request" envelope (checksum checked)
 * or the bare request JSON the custody service writes. Either way the summary is re-derived
 * from the bytes and a request whose bytes do not match its summary or digest is refused.
 *
 * @throws {InvalidInputError} for an unreadable or malformed file
 * @throws {IntegrityError} / SummaryMismatchError from the chains module's decodeRequest
 */
export async function readRequest(file: string): Promise<{ request: ColdRequest; decoded: DecodedRequest }> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidInputError("request", `cannot read ${file} (${code ?? (error as Error).message})`);
  }
  return parseRequest(value);
}

/** {@link readRequest} for a value already parsed. */
export async function parseRequest(
  value: unknown,
): Promise<{ request: ColdRequest; decoded: DecodedRequest }> {
  const request =
    typeof value === "object" && value !== null && "coldpath" in value
      ? (openEnvelope<RequestPayload>(value, "signing-request").payload as ColdRequest)
      : (value as ColdRequest);
  return { request, decoded: await decodeRequest(request) };
}

/** The address that must sign a decoded request: `from` for EVM, the source for Tezos. */
export function signerAddress(decoded: DecodedRequest): string {
  return decoded.kind === "evm-transaction" ? decoded.from : decoded.summary.source;
}
