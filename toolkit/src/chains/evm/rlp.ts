import { InvalidInputError } from "../../errors.js";
import { bigintToBytes, bytesToBigint, concatBytes } from "../hex.js";

/** An RLP item: a byte string or a list of items. */
export type RlpItem = Uint8Array | RlpItem[];

function encodeLength(length: number, offset: number): Uint8Array {
  if (length < 56) return Uint8Array.of(offset + length);
  const lenBytes = bigintToBytes(BigInt(length));
  return concatBytes(Uint8Array.of(offset + 55 + lenBytes.length), lenBytes);
}

/**
 * Recursive-length-prefix encoding (Ethereum yellow paper, appendix B).
 *
 * @example
 * rlpEncode([Uint8Array.of(1), []]); // c3 01 c0
 */
export function rlpEncode(item: RlpItem): Uint8Array {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && (item[0] ?? 0) < 0x80) return item.slice();
    return concatBytes(encodeLength(item.length, 0x80), item);
  }
  const body = concatBytes(...item.map(rlpEncode));
  return concatBytes(encodeLength(body.length, 0xc0), body);
}

interface Cursor {
  bytes: Uint8Array;
  at: number;
  field: string;
}

function take(c: Cursor, n: number): Uint8Array {
  if (c.at + n > c.bytes.length) throw new InvalidInputError(c.field, "RLP data ends early");
  const out = c.bytes.subarray(c.at, c.at + n);
  c.at += n;
  return out;
}

function readLongLength(c: Cursor, lenOfLen: number): number {
  const raw = take(c, lenOfLen);
  if (raw[0] === 0) throw new InvalidInputError(c.field, "non-canonical RLP length (leading zero)");
  const n = bytesToBigint(raw);
  if (n < 56n) throw new InvalidInputError(c.field, "non-canonical RLP length (long form for a short item)");
  if (n > BigInt(c.bytes.length)) throw new InvalidInputError(c.field, "RLP length beyond the data");
  return Number(n);
}

function readItem(c: Cursor): RlpItem {
  const prefix = take(c, 1)[0] ?? 0;
  if (prefix < 0x80) return Uint8Array.of(prefix);
  if (prefix <= 0xb7) {
    const body = take(c, prefix - 0x80);
    if (body.length === 1 && (body[0] ?? 0) < 0x80) {
      throw new InvalidInputError(c.field, "non-canonical RLP (single byte below 0x80 with a prefix)");
    }
    return body.slice();
  }
  if (prefix <= 0xbf) return take(c, readLongLength(c, prefix - 0xb7)).slice();
  const length = prefix <= 0xf7 ? prefix - 0xc0 : readLongLength(c, prefix - 0xf7);
  const end = c.at + length;
  if (end > c.bytes.length) throw new InvalidInputError(c.field, "RLP list ends beyond the data");
  const items: RlpItem[] = [];
  while (c.at < end) items.push(readItem(c));
  if (c.at !== end) throw new InvalidInputError(c.field, "RLP list item crosses the list's end");
  return items;
}

/**
 * Decodes exactly one canonical RLP item spanning all of `bytes`.
 *
 * Non-canonical encodings are refused so that one transaction has exactly one byte spelling.
 *
 * @throws InvalidInputError naming `field` on truncated, trailing or non-canonical data.
 */
export function rlpDecode(bytes: Uint8Array, field = "rlp"): RlpItem {
  const c: Cursor = { bytes, at: 0, field };
  const item = readItem(c);
  if (c.at !== bytes.length) throw new InvalidInputError(field, "trailing bytes after the RLP item");
  return item;
}

/** RLP byte string of an unsigned integer (minimal big-endian, zero is empty). */
export function rlpUint(n: bigint): Uint8Array {
  return bigintToBytes(n);
}

/**
 * Reads an RLP byte string as an unsigned integer of at most `maxBytes` bytes.
 *
 * @throws InvalidInputError naming `field` for a list, a leading zero or an oversized value.
 */
export function rlpToUint(field: string, item: RlpItem | undefined, maxBytes: number): bigint {
  if (!(item instanceof Uint8Array))
    throw new InvalidInputError(field, "expected an RLP integer, got a list");
  if (item.length > 0 && item[0] === 0)
    throw new InvalidInputError(field, "non-canonical integer (leading zero)");
  if (item.length > maxBytes) throw new InvalidInputError(field, `integer longer than ${maxBytes} bytes`);
  return bytesToBigint(item);
}
