/**
 * Canonical JSON of policy documents, and the policy hash.
 *
 * Canonical form (a subset of RFC 8785 JCS, enough for policy documents):
 * - objects: members sorted by key, comparing UTF-16 code units (JavaScript's default sort);
 *   members whose value is `undefined` are an error, not skipped;
 * - arrays keep their order;
 * - strings: as `JSON.stringify` writes them;
 * - numbers: safe integers only, written in decimal without exponent or sign for zero;
 *   policies carry amounts as decimal strings, so no float ever needs a canonical form;
 * - `true`, `false`, `null` as themselves; no whitespace anywhere.
 *
 * `policyHash(policy)` is SHA-256 over the UTF-8 bytes of that text.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { CanonicalJsonError } from "./errors.js";

/**
 * Serialises `value` as canonical JSON (sorted keys, no whitespace, integers only).
 *
 * @throws {CanonicalJsonError} on floats, unsafe integers, `undefined`, functions, symbols,
 *   bigints, or objects that are not plain objects or arrays.
 * @example canonicalJson({ b: 1, a: [true, "x"] }) // '{"a":[true,"x"],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return encode(value, "");
}

function encode(value: unknown, path: string): string {
  if (value === null || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new CanonicalJsonError(path, `only safe integers are allowed, got ${value}`);
    }
    return Object.is(value, -0) ? "0" : String(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v, i) => encode(v, `${path}[${i}]`)).join(",")}]`;
  }
  if (typeof value === "object") {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new CanonicalJsonError(path, "only plain objects can be encoded");
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    const members = keys.map((k) => {
      const child = path === "" ? k : `${path}.${k}`;
      if (record[k] === undefined) throw new CanonicalJsonError(child, "undefined value");
      return `${JSON.stringify(k)}:${encode(record[k], child)}`;
    });
    return `{${members.join(",")}}`;
  }
  throw new CanonicalJsonError(path, `cannot encode a ${typeof value}`);
}

/**
 * SHA-256 of the canonical JSON of `policy` (32 bytes).
 *
 * @throws {CanonicalJsonError} if the document holds a value canonical JSON cannot encode.
 */
export function policyHashBytes(policy: unknown): Uint8Array {
  return sha256(utf8ToBytes(canonicalJson(policy)));
}

/**
 * SHA-256 of the canonical JSON of `policy`, as 64 lowercase hex characters.
 *
 * @throws {CanonicalJsonError} if the document holds a value canonical JSON cannot encode.
 * @example policyHash(doc) // "9f2c…" (64 hex characters)
 */
export function policyHash(policy: unknown): string {
  return bytesToHex(policyHashBytes(policy));
}
