import { InvalidInputError } from "../errors.js";

const HEX_RE = /^0x([0-9a-fA-F]{2})*$/;
const DECIMAL_RE = /^(0|[1-9][0-9]*)$/;

/** Largest unsigned integer of the given bit width. */
export function maxUint(bits: number): bigint {
  return (1n << BigInt(bits)) - 1n;
}

/**
 * Parses `0x`-prefixed hex into bytes.
 *
 * @throws InvalidInputError naming `field` when the text is not even-length `0x` hex or has the
 *   wrong length.
 */
export function parseHex(field: string, value: unknown, length?: number): Uint8Array {
  if (typeof value !== "string" || !HEX_RE.test(value)) {
    throw new InvalidInputError(field, "expected 0x-prefixed hex with an even number of digits");
  }
  const bytes = Uint8Array.from(Buffer.from(value.slice(2), "hex"));
  if (length !== undefined && bytes.length !== length) {
    throw new InvalidInputError(field, `expected ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** Lower-case `0x`-prefixed hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Constant-shape byte comparison (public data only; no timing promise is needed). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/**
 * Parses a non-negative integer given as a decimal string, a bigint or a safe integer number,
 * and checks it against `[min, max]`.
 *
 * Decimal strings only: hex or exponent notation is refused so that every amount has exactly one
 * spelling in a request.
 *
 * @throws InvalidInputError naming `field` when the value is not an integer in range.
 */
export function parseUint(field: string, value: unknown, max: bigint, min = 0n): bigint {
  let n: bigint;
  if (typeof value === "bigint") {
    n = value;
  } else if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new InvalidInputError(field, `expected an integer, got ${value}`);
    n = BigInt(value);
  } else if (typeof value === "string") {
    if (!DECIMAL_RE.test(value)) {
      throw new InvalidInputError(
        field,
        `expected a non-negative decimal integer, got ${JSON.stringify(value)}`,
      );
    }
    n = BigInt(value);
  } else {
    throw new InvalidInputError(field, "expected a non-negative decimal integer");
  }
  if (n < min) throw new InvalidInputError(field, `must be at least ${min}, got ${n}`);
  if (n > max) throw new InvalidInputError(field, `must be at most ${max}, got ${n}`);
  return n;
}

/** Big-endian bytes of a non-negative integer, minimal length (0 is empty). */
export function bigintToBytes(n: bigint): Uint8Array {
  if (n === 0n) return new Uint8Array(0);
  let h = n.toString(16);
  if (h.length % 2) h = `0${h}`;
  return Uint8Array.from(Buffer.from(h, "hex"));
}

/** Big-endian bytes of a non-negative integer, left-padded to `length`. */
export function bigintToFixedBytes(n: bigint, length: number): Uint8Array {
  const h = n.toString(16).padStart(length * 2, "0");
  if (h.length > length * 2) throw new RangeError(`integer does not fit in ${length} bytes`);
  return Uint8Array.from(Buffer.from(h, "hex"));
}

/** Integer value of big-endian bytes. */
export function bytesToBigint(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(toHex(bytes));
}

/**
 * Formats an integer amount of base units as an exact decimal with all `decimals` digits, so the
 * display never rounds (`1500000000000000000`, 18 → `1.500000000000000000`).
 */
export function formatUnits(amount: bigint, decimals: number): string {
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  if (decimals === 0) return `${negative ? "-" : ""}${abs}`;
  const s = abs.toString().padStart(decimals + 1, "0");
  return `${negative ? "-" : ""}${s.slice(0, -decimals)}.${s.slice(-decimals)}`;
}
