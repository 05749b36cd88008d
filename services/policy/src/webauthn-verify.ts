/**
 * Verification of a stored WebAuthn approval (an assertion over the approval challenge), with no
 * I/O and no state: the API, the hot signer and the auditor's tool all run this same function.
 *
 * Checks (W3C WebAuthn Level 2 §7.2, the parts that do not need server state):
 * clientData.type is `webauthn.get`; clientData.challenge is the recomputed approval challenge;
 * the origin is allowed and the assertion is not cross-origin; authenticatorData's rpIdHash is
 * SHA-256(rpId); user presence and user verification flags are set; the ECDSA P-256 signature over
 * `authenticatorData || SHA-256(clientDataJSON)` verifies with the registered public key (high-S
 * accepted: authenticators emit both); and the approval has not expired.
 * Replays (same nonce) are stopped by the API's nonce store and, on the signer, by counting one
 * vote per approver; the signature counter is not checked (needs state; see decision 1021).
 */
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { base64urlnopad } from "@scure/base";
import { approvalChallenge } from "./approval-challenge.js";
import type { ApprovalKind } from "./approval-challenge.js";
import { ApprovalInputError } from "./errors.js";

/** What the API stores for one approval and what the signer and auditors re-verify. */
export interface ApprovalEvidence {
  readonly approverId: string;
  /** base64url credential id of the passkey used. */
  readonly credentialId: string;
  readonly subject: { readonly kind: ApprovalKind; readonly digest: string };
  /** Unix seconds. */
  readonly expiresAt: number;
  /** 32 lowercase hex characters. */
  readonly nonce: string;
  /** base64url. */
  readonly authenticatorData: string;
  /** base64url. */
  readonly clientDataJSON: string;
  /** base64url DER ECDSA P-256 signature. */
  readonly signature: string;
}

/** Why an approval did not verify (stable codes). */
export type EvidenceFailure =
  | "MALFORMED"
  | "CLIENT_DATA_TYPE"
  | "CHALLENGE_MISMATCH"
  | "ORIGIN_NOT_ALLOWED"
  | "CROSS_ORIGIN"
  | "RP_ID_MISMATCH"
  | "USER_NOT_PRESENT"
  | "USER_NOT_VERIFIED"
  | "BAD_SIGNATURE"
  | "EXPIRED";

/** Result of `verifyApprovalEvidence`. */
export type EvidenceResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: EvidenceFailure; readonly message: string };

/** The relying party and the registered key to verify against. */
export interface EvidenceVerifyOptions {
  /** Uncompressed P-256 public key `04 || x || y` in hex. */
  readonly publicKeyHex: string;
  readonly rpId: string;
  /** Allowed origins, e.g. `["https://approvals.example.com"]`. */
  readonly origins: readonly string[];
  /** Unix seconds; omit only to verify history whose expiry was checked when it was recorded. */
  readonly now?: number;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function fail(reason: EvidenceFailure, message: string): EvidenceResult {
  return { ok: false, reason, message };
}

function decode(field: string, value: unknown): Uint8Array {
  if (typeof value !== "string" || !/^[A-Za-z0-9_-]*$/.test(value)) {
    throw new ApprovalInputError(field, String(value), "expected base64url without padding");
  }
  try {
    return base64urlnopad.decode(value);
  } catch {
    throw new ApprovalInputError(field, value, "expected base64url without padding");
  }
}

/**
 * Verifies one stored approval against the registered passkey. Never throws: every failure is a
 * result with a stable `reason` code.
 *
 * @example
 * const r = verifyApprovalEvidence(evidence, { publicKeyHex, rpId: "localhost", origins: ["http://localhost:8080"], now: Date.now() / 1000 | 0 });
 * if (!r.ok) console.log(r.reason);
 */
export function verifyApprovalEvidence(
  evidence: ApprovalEvidence,
  options: EvidenceVerifyOptions,
): EvidenceResult {
  let challenge: string;
  let authData: Uint8Array;
  let clientDataBytes: Uint8Array;
  let signature: Uint8Array;
  let publicKey: Uint8Array;
  try {
    challenge = approvalChallenge({
      subject: evidence.subject,
      expiresAt: evidence.expiresAt,
      nonce: evidence.nonce,
      approverId: evidence.approverId,
    });
    authData = decode("authenticatorData", evidence.authenticatorData);
    clientDataBytes = decode("clientDataJSON", evidence.clientDataJSON);
    signature = decode("signature", evidence.signature);
    if (!/^04[0-9a-f]{128}$/.test(options.publicKeyHex)) {
      throw new ApprovalInputError("publicKeyHex", options.publicKeyHex, "expected 04 + 128 hex");
    }
    publicKey = hexToBytes(options.publicKeyHex);
  } catch (err) {
    return fail("MALFORMED", err instanceof Error ? err.message : String(err));
  }
  if (options.now !== undefined && !(evidence.expiresAt > options.now)) {
    return fail("EXPIRED", `approval expired at ${evidence.expiresAt} (now ${options.now})`);
  }
  let clientData: { type?: unknown; challenge?: unknown; origin?: unknown; crossOrigin?: unknown };
  try {
    const parsed: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(clientDataBytes));
    if (parsed === null || typeof parsed !== "object") throw new Error("not an object");
    clientData = parsed as typeof clientData;
  } catch {
    return fail("MALFORMED", "clientDataJSON is not a JSON object");
  }
  if (clientData.type !== "webauthn.get") {
    return fail("CLIENT_DATA_TYPE", `clientData.type is ${String(clientData.type)}, expected webauthn.get`);
  }
  if (clientData.challenge !== challenge) {
    return fail("CHALLENGE_MISMATCH", "clientData.challenge is not this approval's challenge");
  }
  if (typeof clientData.origin !== "string" || !options.origins.includes(clientData.origin)) {
    return fail("ORIGIN_NOT_ALLOWED", `origin ${String(clientData.origin)} is not allowed`);
  }
  if (clientData.crossOrigin === true) {
    return fail("CROSS_ORIGIN", "assertion was made in a cross-origin frame");
  }
  if (authData.length < 37) return fail("MALFORMED", "authenticatorData is shorter than 37 bytes");
  if (!sameBytes(authData.subarray(0, 32), sha256(utf8ToBytes(options.rpId)))) {
    return fail("RP_ID_MISMATCH", `authenticatorData is not for rpId ${options.rpId}`);
  }
  const flags = authData[32]!;
  if ((flags & FLAG_UP) === 0) return fail("USER_NOT_PRESENT", "user presence flag is not set");
  if ((flags & FLAG_UV) === 0) return fail("USER_NOT_VERIFIED", "user verification flag is not set");
  let valid = false;
  try {
    valid = p256.verify(signature, concatBytes(authData, sha256(clientDataBytes)), publicKey, {
      format: "der",
      lowS: false,
      prehash: true,
    });
  } catch {
    valid = false;
  }
  if (!valid)
    return fail("BAD_SIGNATURE", `signature does not verify with ${bytesToHex(publicKey).slice(0, 18)}…`);
  return { ok: true };
}
