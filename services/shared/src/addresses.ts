import { keccak_256 } from "@noble/hashes/sha3.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { base58check } from "@scure/base";
import { ValidationError } from "./errors.js";

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const encoder = new TextEncoder();

/** Prefix bytes of a Tezos tz1 (Ed25519 public key hash) in base58check. */
const TZ1_PREFIX = Uint8Array.of(6, 161, 159);

/**
 * Returns the EIP-55 mixed-case checksum form of a 20-byte hex address.
 *
 * @throws {ValidationError} `invalid_evm_address` when the input is not 0x + 40 hex digits.
 * @example toChecksumAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
 */
export function toChecksumAddress(address: string, field = "address"): string {
  if (!HEX_ADDRESS.test(address)) {
    throw new ValidationError("invalid_evm_address", field, `expected 0x followed by 40 hex digits`);
  }
  const lower = address.slice(2).toLowerCase();
  const hash = keccak_256(encoder.encode(lower));
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0x0f;
    const c = lower[i]!;
    out += nibble >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

/**
 * Accepts an EVM address only with a valid EIP-55 checksum (mixed case). All-lowercase or
 * all-uppercase input is refused: a cold address is typed once and must be proven intact.
 *
 * @throws {ValidationError} `invalid_evm_address` or `bad_checksum`, naming `field`.
 */
export function parseChecksummedAddress(address: string, field: string): string {
  const checksummed = toChecksumAddress(address, field);
  if (checksummed !== address) {
    throw new ValidationError(
      "bad_checksum",
      field,
      `'${address}' does not carry a valid EIP-55 checksum (expected mixed case as in ${checksummed})`,
    );
  }
  return address;
}

const tz1Coder = base58check(sha256);

/**
 * Accepts a Tezos tz1 address (Ed25519 key hash) whose base58check checksum is valid.
 *
 * @throws {ValidationError} `invalid_tezos_address` naming `field`.
 */
export function parseTz1Address(address: string, field: string): string {
  if (!/^tz1[1-9A-HJ-NP-Za-km-z]{33}$/.test(address)) {
    throw new ValidationError("invalid_tezos_address", field, "expected a 36-character tz1 address");
  }
  let bytes: Uint8Array;
  try {
    bytes = tz1Coder.decode(address);
  } catch {
    throw new ValidationError("invalid_tezos_address", field, `'${address}' fails its base58check checksum`);
  }
  const prefixOk = bytes.length === 23 && TZ1_PREFIX.every((b, i) => bytes[i] === b);
  if (!prefixOk)
    throw new ValidationError("invalid_tezos_address", field, `'${address}' is not a tz1 key hash`);
  return address;
}
