/**
 * The vote proxy's CREATE2 address computed locally, exactly as `VoteProxyFactory` does with
 * `ProxyArgs.creationCode` (contracts/governance/ProxyArgs.sol lists every opcode): a 118-byte
 * constructor, then the 217-byte runtime with the implementation, the hot key, a zero chief (the
 * constructor reads the chief from the factory), cold and customerId; the salt is the customerId.
 */
import { ZeroAddress, concat, getAddress, getCreate2Address, hexlify, keccak256 } from "ethers";

/** Reads chief() and iou() from the factory, approves the IOU for the chief, writes the chief, returns. */
const CONSTRUCTOR =
  "0x63ffd864d35f5260205f6004601c335afa63a2fca6b3602052602060206004603c335afa163d6020" +
  "141615606c5760d960766040395f5160601b60b0511760b052602051801560705763095ea7b36101" +
  "20525f51610140525f19610160525f5f604461013c5f855af16070575b5f5ffd5b60d96040f3";
/** Calldata copy, vote-selector dispatch, then the slow path's DELEGATECALL to the implementation. */
const RUNTIME_HEAD = "0x365f601c375f5f518063ed081329149063a69beaba14176045575b5f5f36601c73";
/** EIP-1167's return/revert tail, then the fast path's hot-key check up to the initial hot key. */
const RUNTIME_DISPATCH = "0x5af45b3d82803e903d91604357fd5bf35b5f54801573";
/** Caller and value check, then the fast path's CALL set-up up to the chief. */
const RUNTIME_FAST_CALL = "0x021733183417601a5760208036601c5f73";
/** The CALL, the Voted(slate) log and the jump back to the tail. */
const RUNTIME_FAST_TAIL = "0x5af16020516d566f7465642862797465733332295f52600e6012205f5fa2603756";

/** Length of the runtime code; the constructor is 118 bytes. */
export const PROXY_RUNTIME_LENGTH = 217;

/**
 * The bytes32 customer id a proxy is created with: the customer's UUID bytes, left-padded, so the
 * `ProxyCreated` event names the customer record directly.
 *
 * @example customerSalt("0b8e…") // "0x00000000000000000000000000000000 0b8e…"
 */
export function customerSalt(customerUuid: string): string {
  const hex = customerUuid.replace(/-/g, "").toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new TypeError(`'${customerUuid}' is not a UUID`);
  return hexlify("0x" + "00".repeat(16) + hex);
}

/**
 * The runtime code of a proxy voting in `chief` (what `eth_getCode` returns for a created proxy).
 *
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
    getAddress(implementation),
    RUNTIME_DISPATCH,
    getAddress(hot),
    RUNTIME_FAST_CALL,
    getAddress(chief),
    RUNTIME_FAST_TAIL,
    getAddress(cold),
    salt,
  ]);
}

/** Creation code of a clone of `implementation` carrying cold, hot and customerId. */
export function proxyCreationCode(implementation: string, cold: string, hot: string, salt: string): string {
  return concat([CONSTRUCTOR, proxyRuntimeCode(implementation, ZeroAddress, cold, hot, salt)]);
}

/**
 * Where `factory.createProxy(salt, cold, hot)` deploys (equals the contract's `predictProxy`).
 *
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
