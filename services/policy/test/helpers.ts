/**
 * Shared test fixtures: the example policy, deterministic approver keys (derived from public
 * seeds exactly as docs/policy/README.md describes, so the example's keys are reproducible) and
 * intent builders.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import type { Intent, PolicyDocument } from "../src/index.js";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** The example policy as plain (mutable) JSON. */
export function examplePolicy(): PolicyDocument {
  return JSON.parse(
    readFileSync(join(REPO_ROOT, "docs", "policy", "example-policy.json"), "utf8"),
  ) as PolicyDocument;
}

/** A deep, mutable copy. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Secret key of an example approver: sha256("coldpath example approver <id>"). */
export function approverSecret(id: string): Uint8Array {
  return sha256(utf8ToBytes(`coldpath example approver ${id}`));
}

export function approverPublic(id: string): string {
  return bytesToHex(ed25519.getPublicKey(approverSecret(id)));
}

export const CHIEF = "0xc41ef00000000000000000000000000000000001";
export const CANDIDATE = "0x5e11000000000000000000000000000000000001";
export const SLATE = "0x51a7e00000000000000000000000000000000000000000000000000000000001";
export const BAKER = "tz1VAwHF9ygWsGATtQDLZtjyUQbFc8pfiMjF";
/** A syntactically valid tz1 that no policy allowlists. */
export const NEW_BAKER = "tz1UJYHaPVRx7dQjxCMyqcipvRzRMALa43nG";
export const MKR = 10n ** 18n;
/** A Wednesday. */
export const WEDNESDAY_NOON = "2026-11-25T12:00:00Z";

export function vote(overrides: Partial<Intent> = {}): Intent {
  return {
    action: "vote",
    customer: "cust-0001",
    chain: "ethereum",
    asset: "mkr",
    chief: CHIEF,
    candidates: [CANDIDATE],
    at: WEDNESDAY_NOON,
    ...overrides,
  };
}

export function lock(amount: bigint, overrides: Partial<Intent> = {}): Intent {
  return {
    action: "lock",
    customer: "cust-0001",
    chain: "ethereum",
    asset: "mkr",
    chief: CHIEF,
    amount: amount.toString(),
    at: WEDNESDAY_NOON,
    ...overrides,
  };
}

export function delegate(baker: string | null, overrides: Partial<Intent> = {}): Intent {
  return {
    action: "delegate",
    customer: "cust-0002",
    chain: "tezos",
    asset: "xtz",
    baker,
    at: WEDNESDAY_NOON,
    ...overrides,
  };
}

/** `n` copies of `intent` spaced `stepSeconds` apart, ending `endOffsetSeconds` before its `at`. */
export function pastCopies(intent: Intent, n: number, stepSeconds: number, endOffsetSeconds = 1): Intent[] {
  const end = Date.parse(intent.at) - endOffsetSeconds * 1000;
  return Array.from({ length: n }, (_, i) => ({
    ...intent,
    at: new Date(end - (n - 1 - i) * stepSeconds * 1000).toISOString(),
  }));
}
