/**
 * Boundary checks for every value the client sends: addresses (prefix, length, checksum),
 * key types and mutez amounts. They throw before any network call.
 */
import { ValidationResult, validateAddress, validateContractAddress, validateKeyHash } from "@taquito/utils";
import { InvalidAddressError, InvalidAmountError, WrongKeyTypeError } from "./errors.js";

/** Largest mutez amount: tez are signed 64-bit integers in the protocol. */
export const MAX_MUTEZ = (1n << 63n) - 1n;

const REASONS: Record<number, string> = {
  [ValidationResult.NO_PREFIX_MATCHED]: "unknown prefix",
  [ValidationResult.INVALID_CHECKSUM]: "bad base58 checksum",
  [ValidationResult.INVALID_LENGTH]: "bad length",
};

/**
 * Checks an Ed25519 implicit address (tz1...).
 *
 * @throws {WrongKeyTypeError} for a valid tz2/tz3/tz4 address.
 * @throws {InvalidAddressError} for anything else that is not a valid tz1.
 * @example assertTz1("cold", "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb")
 */
export function assertTz1(field: string, value: unknown): string {
  if (typeof value !== "string") throw new InvalidAddressError(field, value, "expected a tz1 address string");
  const result = validateKeyHash(value);
  if (result !== ValidationResult.VALID) {
    throw new InvalidAddressError(field, value, REASONS[result] ?? "not a key hash");
  }
  if (!value.startsWith("tz1")) {
    throw new WrongKeyTypeError(field, value, "expected an Ed25519 (tz1) key hash");
  }
  return value;
}

/**
 * Checks an originated contract address (KT1...).
 *
 * @throws {InvalidAddressError} when it is not a valid KT1.
 */
export function assertKt1(field: string, value: unknown): string {
  if (typeof value !== "string") throw new InvalidAddressError(field, value, "expected a KT1 address string");
  const result = validateContractAddress(value);
  if (result !== ValidationResult.VALID) {
    throw new InvalidAddressError(field, value, REASONS[result] ?? "not a KT1 address");
  }
  return value;
}

/**
 * Checks a baker address: any valid implicit address (bakers may use tz1/tz2/tz3/tz4 keys).
 *
 * @throws {InvalidAddressError} when it is not an implicit address.
 */
export function assertBaker(field: string, value: unknown): string {
  if (typeof value !== "string") throw new InvalidAddressError(field, value, "expected an implicit address");
  const result = validateAddress(value);
  if (result !== ValidationResult.VALID || !/^tz[1-4]/.test(value)) {
    throw new InvalidAddressError(field, value, REASONS[result] ?? "expected an implicit (tz) address");
  }
  return value;
}

/**
 * Checks a mutez amount: an integer (bigint, safe number or decimal string) from `min` to
 * int64 max.
 *
 * @throws {InvalidAmountError} naming `field`.
 */
export function assertMutez(field: string, value: unknown, min = 0n): bigint {
  let amount: bigint;
  if (typeof value === "bigint") amount = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) amount = BigInt(value);
  else if (typeof value === "string" && /^-?\d+$/.test(value)) amount = BigInt(value);
  else throw new InvalidAmountError(field, value, "expected an integer number of mutez");
  if (amount < min) throw new InvalidAmountError(field, value, `must be at least ${min} mutez`);
  if (amount > MAX_MUTEZ)
    throw new InvalidAmountError(field, value, `exceeds the int64 maximum ${MAX_MUTEZ}`);
  return amount;
}
