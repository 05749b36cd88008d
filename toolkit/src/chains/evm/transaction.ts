import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { InvalidInputError, IntegrityError } from "../../errors.js";
import {
  bytesToBigint,
  concatBytes,
  maxUint,
  parseHex,
  parseUint,
  toHex,
  bigintToFixedBytes,
} from "../hex.js";
import { addressFromPublicKey, parseAddress, privateKeyBytes } from "./address.js";
import { rlpDecode, rlpEncode, rlpToUint, rlpUint, type RlpItem } from "./rlp.js";

/** EIP-2718 type byte of EIP-1559 transactions. */
export const EIP1559_TYPE = 0x02;

/** The cheapest possible transaction (a plain value transfer) needs this much gas. */
export const MIN_GAS_LIMIT = 21_000n;

/**
 * A validated EIP-1559 transaction. Access lists are not supported: cold withdrawals never need
 * them, and an empty list keeps the decoded form complete for the trusted display.
 */
export interface Eip1559Transaction {
  readonly chainId: bigint;
  readonly nonce: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly maxFeePerGas: bigint;
  readonly gasLimit: bigint;
  /** EIP-55 spelling. Contract creation (no `to`) is refused. */
  readonly to: string;
  readonly value: bigint;
  /** Lower-case `0x` hex, `0x` when empty. */
  readonly data: string;
}

/** Transaction fields as they arrive from a file or a caller (decimal strings or bigints). */
export interface Eip1559TransactionInput {
  chainId: string | bigint | number;
  nonce: string | bigint | number;
  maxPriorityFeePerGas: string | bigint | number;
  maxFeePerGas: string | bigint | number;
  gasLimit: string | bigint | number;
  to: string;
  value: string | bigint | number;
  data?: string;
}

/** A signed transaction, its raw serialisation, its hash and the recovered sender. */
export interface SignedEip1559Transaction {
  readonly tx: Eip1559Transaction;
  readonly yParity: 0 | 1;
  readonly r: bigint;
  readonly s: bigint;
  /** `0x02…` bytes ready for `eth_sendRawTransaction`. */
  readonly raw: string;
  /** Transaction hash: keccak256 of the raw bytes. */
  readonly hash: string;
  /** Sender recovered from the signature. */
  readonly from: string;
}

const U64_MAX = maxUint(64);
const U256_MAX = maxUint(256);

/**
 * Validates every field of an EIP-1559 transaction and returns its canonical form.
 *
 * @throws InvalidInputError naming the field: chainId not in [1, 2^64-1], nonce beyond 2^64-2
 *   (EIP-2681), gas limit below 21000, maxPriorityFeePerGas above maxFeePerGas, a malformed or
 *   mis-checksummed `to`, a value beyond uint256, or data that is not hex.
 */
export function normaliseTransaction(input: Eip1559TransactionInput): Eip1559Transaction {
  if (typeof input !== "object" || input === null)
    throw new InvalidInputError("transaction", "expected an object");
  const chainId = parseUint("chainId", input.chainId, U64_MAX, 1n);
  const nonce = parseUint("nonce", input.nonce, U64_MAX - 1n);
  const maxPriorityFeePerGas = parseUint("maxPriorityFeePerGas", input.maxPriorityFeePerGas, U256_MAX);
  const maxFeePerGas = parseUint("maxFeePerGas", input.maxFeePerGas, U256_MAX);
  if (maxPriorityFeePerGas > maxFeePerGas) {
    throw new InvalidInputError(
      "maxPriorityFeePerGas",
      `${maxPriorityFeePerGas} exceeds maxFeePerGas ${maxFeePerGas}`,
    );
  }
  const gasLimit = parseUint("gasLimit", input.gasLimit, U64_MAX, MIN_GAS_LIMIT);
  if (maxFeePerGas * gasLimit > U256_MAX)
    throw new InvalidInputError("maxFeePerGas", "maxFeePerGas × gasLimit overflows");
  const to = parseAddress("to", input.to);
  const value = parseUint("value", input.value, U256_MAX);
  const data = toHex(parseHex("data", input.data ?? "0x"));
  return Object.freeze({ chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data });
}

function payloadFields(tx: Eip1559Transaction): RlpItem[] {
  return [
    rlpUint(tx.chainId),
    rlpUint(tx.nonce),
    rlpUint(tx.maxPriorityFeePerGas),
    rlpUint(tx.maxFeePerGas),
    rlpUint(tx.gasLimit),
    parseHex("to", tx.to.toLowerCase(), 20),
    rlpUint(tx.value),
    parseHex("data", tx.data),
    [],
  ];
}

/** `0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data, []])`. */
export function encodeUnsignedTransaction(tx: Eip1559Transaction): Uint8Array {
  return concatBytes(Uint8Array.of(EIP1559_TYPE), rlpEncode(payloadFields(tx)));
}

/** The 32-byte hash a sender signs: keccak256 of the unsigned encoding. */
export function transactionSigningHash(tx: Eip1559Transaction): Uint8Array {
  return keccak_256(encodeUnsignedTransaction(tx));
}

function decodeFields(fields: RlpItem[], field: string): Eip1559Transaction {
  const [chainId, nonce, tip, maxFee, gasLimit, to, value, data, accessList] = fields;
  if (!(to instanceof Uint8Array)) throw new InvalidInputError("to", "expected a byte string");
  if (to.length === 0) throw new InvalidInputError("to", "contract creation is not a cold withdrawal");
  if (to.length !== 20) throw new InvalidInputError("to", `expected 20 bytes, got ${to.length}`);
  if (!(data instanceof Uint8Array)) throw new InvalidInputError("data", "expected a byte string");
  if (!Array.isArray(accessList)) throw new InvalidInputError(`${field}.accessList`, "expected a list");
  if (accessList.length !== 0) throw new InvalidInputError("accessList", "access lists are not supported");
  return normaliseTransaction({
    chainId: rlpToUint("chainId", chainId, 8),
    nonce: rlpToUint("nonce", nonce, 8),
    maxPriorityFeePerGas: rlpToUint("maxPriorityFeePerGas", tip, 32),
    maxFeePerGas: rlpToUint("maxFeePerGas", maxFee, 32),
    gasLimit: rlpToUint("gasLimit", gasLimit, 8),
    to: toHex(to),
    value: rlpToUint("value", value, 32),
    data: toHex(data),
  });
}

function decodeEnvelope(bytes: Uint8Array, field: string, count: number): RlpItem[] {
  if (bytes.length === 0 || bytes[0] !== EIP1559_TYPE) {
    throw new InvalidInputError(field, "expected an EIP-1559 (type 2) transaction starting with 0x02");
  }
  const list = rlpDecode(bytes.subarray(1), field);
  if (!Array.isArray(list) || list.length !== count) {
    throw new InvalidInputError(field, `expected an RLP list of ${count} fields`);
  }
  return list;
}

/**
 * Decodes and validates unsigned type-2 transaction bytes.
 *
 * @throws InvalidInputError naming the offending field, or `field` for a malformed envelope.
 */
export function decodeUnsignedTransaction(bytes: Uint8Array, field = "unsigned"): Eip1559Transaction {
  return decodeFields(decodeEnvelope(bytes, field, 9), field);
}

function serialiseSigned(tx: Eip1559Transaction, yParity: 0 | 1, r: bigint, s: bigint): Uint8Array {
  const body = rlpEncode([...payloadFields(tx), rlpUint(BigInt(yParity)), rlpUint(r), rlpUint(s)]);
  return concatBytes(Uint8Array.of(EIP1559_TYPE), body);
}

function recoverSender(tx: Eip1559Transaction, yParity: 0 | 1, r: bigint, s: bigint): string {
  const sig = new secp256k1.Signature(r, s, yParity);
  const point = sig.recoverPublicKey(transactionSigningHash(tx));
  return addressFromPublicKey(point.toBytes(false));
}

/**
 * Signs a transaction with a secp256k1 key (RFC 6979 deterministic nonce, low-s) and returns the
 * serialised signed transaction. The 32-byte copy of the key made here is zeroed before return;
 * a bigint key given by the caller cannot be wiped by anyone.
 *
 * @throws InvalidInputError (field `privateKey`) for an invalid key.
 * @throws IntegrityError if the signature does not recover to the key's own address.
 */
export function signTransaction(
  tx: Eip1559Transaction,
  privateKey: Uint8Array | bigint,
): SignedEip1559Transaction {
  const key = privateKeyBytes(privateKey);
  try {
    const expected = addressFromPublicKey(secp256k1.getPublicKey(key, false));
    const recovered = secp256k1.sign(transactionSigningHash(tx), key, {
      prehash: false,
      format: "recovered",
      lowS: true,
    });
    const yParity = recovered[0] === 1 ? 1 : 0;
    const r = bytesToBigint(recovered.subarray(1, 33));
    const s = bytesToBigint(recovered.subarray(33, 65));
    const from = recoverSender(tx, yParity, r, s);
    if (from !== expected) throw new IntegrityError("signature", `recovers to ${from}, not ${expected}`);
    const raw = serialiseSigned(tx, yParity, r, s);
    return Object.freeze({ tx, yParity, r, s, raw: toHex(raw), hash: toHex(keccak_256(raw)), from });
  } finally {
    key.fill(0);
  }
}

/**
 * Decodes a signed type-2 transaction and recovers its sender. High-s signatures are refused
 * (EIP-2), as Ethereum nodes do.
 *
 * @throws InvalidInputError for malformed bytes or signature values.
 */
export function decodeSignedTransaction(raw: string | Uint8Array, field = "raw"): SignedEip1559Transaction {
  const bytes = typeof raw === "string" ? parseHex(field, raw) : raw;
  const fields = decodeEnvelope(bytes, field, 12);
  const tx = decodeFields(fields.slice(0, 9), field);
  const parity = rlpToUint("yParity", fields[9], 1);
  if (parity > 1n) throw new InvalidInputError("yParity", "must be 0 or 1");
  const r = rlpToUint("r", fields[10], 32);
  const s = rlpToUint("s", fields[11], 32);
  const n = secp256k1.Point.CURVE().n;
  if (r === 0n || r >= n) throw new InvalidInputError("r", "out of range");
  if (s === 0n || s > n >> 1n) throw new InvalidInputError("s", "zero or not low-s");
  const yParity = parity === 1n ? 1 : 0;
  const from = recoverSender(tx, yParity, r, s);
  return Object.freeze({ tx, yParity, r, s, raw: toHex(bytes), hash: toHex(keccak_256(bytes)), from });
}

/** `r || s` as 64 bytes, for callers that store signatures compactly. */
export function compactSignature(signed: SignedEip1559Transaction): Uint8Array {
  return concatBytes(bigintToFixedBytes(signed.r, 32), bigintToFixedBytes(signed.s, 32));
}
