/**
 * The signed form of a canonical unsigned EIP-1559 transaction, built from its bytes: the same
 * RLP list with `yParity, r, s` appended (EIP-1559: `0x02 || rlp([...fields, yParity, r, s])`).
 * Rebuilding an ethers Transaction and serialising it again cost the signer a fifth of its time
 * per transaction (decision 1043); `test/keys/eip1559-signed.test.ts` shows the bytes are ethers'
 * on random transactions. The outbox worker checks the signer's answers against the same bytes.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";

const N = secp256k1.Point.CURVE().n;

/** Where the payload of the RLP list at `at` starts and how long it is; undefined if not a list. */
function listAt(bytes: Uint8Array, at: number): { start: number; length: number } | undefined {
  const b = bytes[at];
  if (b === undefined || b < 0xc0) return undefined;
  if (b <= 0xf7) return { start: at + 1, length: b - 0xc0 };
  const lengthOfLength = b - 0xf7;
  if (at + 1 + lengthOfLength > bytes.length) return undefined;
  let length = 0;
  for (let i = 0; i < lengthOfLength; i++) length = length * 256 + bytes[at + 1 + i]!;
  return { start: at + 1 + lengthOfLength, length };
}

function listHeader(length: number): Uint8Array {
  if (length < 56) return Uint8Array.of(0xc0 + length);
  const bytes: number[] = [];
  for (let v = length; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.of(0xf7 + bytes.length, ...bytes);
}

/** The RLP string of a scalar in [1, 2^256): minimal big-endian bytes. */
function scalarItem(value: bigint): Uint8Array {
  const hex = value.toString(16);
  const bytes = Buffer.from(hex.length % 2 === 0 ? hex : "0" + hex, "hex");
  if (bytes.length === 1 && bytes[0]! < 0x80) return Uint8Array.from(bytes);
  return Uint8Array.of(0x80 + bytes.length, ...bytes);
}

/**
 * `0x02 || rlp([...fields of unsigned, yParity, r, s])`.
 *
 * @param unsigned the canonical unsigned serialisation (`0x02 || rlp([9 fields])`), already
 * checked as such by the caller.
 * @throws {Error} when `unsigned` is not a type-2 list that ends where the bytes end, or r, s are
 * not in [1, n).
 */
export function signedEip1559(unsigned: Uint8Array, yParity: 0 | 1, r: bigint, s: bigint): Uint8Array {
  const list = unsigned[0] === 0x02 ? listAt(unsigned, 1) : undefined;
  if (list === undefined || list.start + list.length !== unsigned.length)
    throw new Error("signedEip1559: not the serialisation of an EIP-1559 transaction");
  if (r < 1n || r >= N || s < 1n || s >= N) throw new Error("signedEip1559: r or s out of range");
  if (yParity !== 0 && yParity !== 1) throw new Error("signedEip1559: yParity must be 0 or 1");
  const signature = [Uint8Array.of(yParity === 0 ? 0x80 : 0x01), scalarItem(r), scalarItem(s)];
  const payloadLength = list.length + signature.reduce((n, item) => n + item.length, 0);
  const header = listHeader(payloadLength);
  const out = new Uint8Array(1 + header.length + payloadLength);
  out[0] = 0x02;
  out.set(header, 1);
  let at = 1 + header.length;
  out.set(unsigned.subarray(list.start), at);
  at += list.length;
  for (const item of signature) {
    out.set(item, at);
    at += item.length;
  }
  return out;
}

/** One RLP string item at `at` of at most 32 bytes: its value and where the next item starts. */
function shortItem(bytes: Uint8Array, at: number): { value: bigint; next: number } | undefined {
  const b = bytes[at];
  if (b === undefined) return undefined;
  if (b < 0x80) return { value: BigInt(b), next: at + 1 };
  const length = b - 0x80;
  if (length > 32 || at + 1 + length > bytes.length) return undefined;
  let value = 0n;
  for (let i = 0; i < length; i++) value = (value << 8n) | BigInt(bytes[at + 1 + i]!);
  return { value, next: at + 1 + length };
}

/**
 * The `(yParity, r, s)` a signed answer claims for `unsigned`, when the answer is exactly
 * {@link signedEip1559} of them, byte for byte; undefined for anything else (other fields, another
 * encoding, trailing bytes, a high or out-of-range value). Never throws.
 */
export function signatureOfSigned(
  unsigned: Uint8Array,
  signed: Uint8Array,
): { yParity: 0 | 1; r: bigint; s: bigint } | undefined {
  try {
    const asked = unsigned[0] === 0x02 ? listAt(unsigned, 1) : undefined;
    const answer = signed[0] === 0x02 ? listAt(signed, 1) : undefined;
    if (asked === undefined || answer === undefined) return undefined;
    // The three items after the asked fields; the rebuild below decides whether all is canonical.
    const parity = shortItem(signed, answer.start + asked.length);
    const r = parity && shortItem(signed, parity.next);
    const s = r && shortItem(signed, r.next);
    if (parity === undefined || r === undefined || s === undefined) return undefined;
    if (parity.value !== 0n && parity.value !== 1n) return undefined;
    const yParity = parity.value === 1n ? 1 : 0;
    const rebuilt = signedEip1559(unsigned, yParity, r.value, s.value);
    if (rebuilt.length !== signed.length) return undefined;
    for (let i = 0; i < rebuilt.length; i++) if (rebuilt[i] !== signed[i]) return undefined;
    return { yParity, r: r.value, s: s.value };
  } catch {
    return undefined;
  }
}
