/**
 * The vote proxy's CREATE2 address computed locally, exactly as `VoteProxyFactory` does with
 * `ProxyArgs.creationCode`: a 10-byte constructor, the EIP-1167 forwarder to the implementation,
 * then cold, hot and customerId as immutable arguments; the salt is the customerId.
 */
import { concat, getAddress, getCreate2Address, hexlify, keccak256 } from "ethers";

const CONSTRUCTOR = "0x3d607580600a3d3981f3";
const FORWARDER_HEAD = "0x363d3d373d3d3d363d73";
const FORWARDER_TAIL = "0x5af43d82803e903d91602b57fd5bf3";

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

/** Creation code of a clone of `implementation` carrying cold, hot and customerId. */
export function proxyCreationCode(implementation: string, cold: string, hot: string, salt: string): string {
  return concat([
    CONSTRUCTOR,
    FORWARDER_HEAD,
    getAddress(implementation),
    FORWARDER_TAIL,
    getAddress(cold),
    getAddress(hot),
    salt,
  ]);
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
