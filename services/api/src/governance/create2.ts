/**
 * The vote proxy's CREATE2 address computed locally, exactly as `VoteProxyFactory` does with
 * `ProxyArgs.creationCode` (contracts/governance/ProxyArgs.sol lists every opcode): an 80-byte
 * constructor, then the 165-byte runtime with the hot key, a zero chief (the constructor asks the
 * factory for it), the implementation, cold and the low 16 bytes of the customerId; the salt is the
 * customerId, which must fit in 128 bits (decision 0010).
 */
import {
  ZeroAddress,
  concat,
  dataSlice,
  getAddress,
  getCreate2Address,
  isHexString,
  keccak256,
} from "ethers";
import { ValidationError } from "../../../shared/src/errors.js";

/** Asks the factory for (chief, iou), approves the IOU for the chief, writes the chief, returns. */
const CONSTRUCTOR =
  "0x60405f5f5f335afa3d6040141615603357602051801560375763daea85c56040" +
  "525f516060525f5f6024605c5f855af16037575b5f5ffd5b5f51607052603c60" +
  "50604039605560a060903960a56040f3";
/** Calldata copy, shared call arguments and vote-selector test, up to the initial hot key. */
const RUNTIME_HEAD = "0x365f601c3760208036601c5f518063ed081329189063a69beaba18025f5473";
/** The hot-key check and the fast path's CALL set-up, up to the chief. */
const RUNTIME_FAST_CALL = "0x183318176066573473";
/** The fast path's CALL and anonymous Voted(slate) log, the shared return/revert tail, up to the implementation. */
const RUNTIME_TAIL = "0x5af16020515f5fa15b3d5f803e3d5f82606457fd5bf35b73";
/** The slow path's DELEGATECALL and its jump back to the tail. */
const RUNTIME_SLOW_END = "0x5af4605856";

/** Length of the runtime code; the constructor is 80 bytes. */
export const PROXY_RUNTIME_LENGTH = 165;
/** Length of the constructor that precedes the runtime in the creation code. */
export const PROXY_CONSTRUCTOR_LENGTH = 80;

/**
 * The bytes32 customer id a proxy is created with: the customer's UUID bytes, left-padded, so the
 * `ProxyCreated` event names the customer record directly (and the id fits the 128 bits a proxy keeps).
 *
 * @throws {TypeError} when `customerUuid` is not a UUID.
 * @example customerSalt("0b8e…") // "0x00000000000000000000000000000000 0b8e…"
 */
export function customerSalt(customerUuid: string): string {
  const hex = customerUuid.replace(/-/g, "").toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new TypeError(`'${customerUuid}' is not a UUID`);
  return "0x" + "00".repeat(16) + hex;
}

/**
 * The low 16 bytes a proxy stores of a bytes32 customer id.
 *
 * @throws {ValidationError} `invalid_customer_id` (field `customerId`) when `salt` is not 32 bytes or
 * does not fit in 128 bits: the factory reverts `VoteProxyFactoryInvalidCustomerId` for it.
 */
export function customerIdLow16(salt: string): string {
  if (!isHexString(salt, 32) || !/^0x0{32}/.test(salt)) {
    throw new ValidationError(
      "invalid_customer_id",
      "customerId",
      `customerId '${salt}' is not a bytes32 value below 2^128`,
    );
  }
  return dataSlice(salt, 16);
}

/**
 * The runtime code of a proxy voting in `chief` (what `eth_getCode` returns for a created proxy).
 *
 * @throws {ValidationError} `invalid_customer_id` when `salt` does not fit in 128 bits.
 * @example proxyRuntimeCode(implementation, chief, cold, hot, customerSalt(id))
 */
export function proxyRuntimeCode(
  implementation: string,
  chief: string,
  cold: string,
  hot: string,
  salt: string,
): string {
  return concat([
    RUNTIME_HEAD,
    getAddress(hot),
    RUNTIME_FAST_CALL,
    getAddress(chief),
    RUNTIME_TAIL,
    getAddress(implementation),
    RUNTIME_SLOW_END,
    getAddress(cold),
    customerIdLow16(salt),
  ]);
}

/**
 * Creation code of a clone of `implementation` carrying cold, hot and customerId.
 *
 * @throws {ValidationError} `invalid_customer_id` when `salt` does not fit in 128 bits.
 */
export function proxyCreationCode(implementation: string, cold: string, hot: string, salt: string): string {
  return concat([CONSTRUCTOR, proxyRuntimeCode(implementation, ZeroAddress, cold, hot, salt)]);
}

/**
 * Where `factory.createProxy(salt, cold, hot)` deploys (equals the contract's `predictProxy`).
 *
 * @throws {ValidationError} `invalid_customer_id` when `salt` does not fit in 128 bits.
 * @example predictProxyAddress(factory, implementation, customerSalt(id), cold, hot)
 */
export function predictProxyAddress(
  factory: string,
  implementation: string,
  salt: string,
  cold: string,
  hot: string,
): string {
  return getCreate2Address(
    getAddress(factory),
    salt,
    keccak256(proxyCreationCode(implementation, cold, hot, salt)),
  );
}
