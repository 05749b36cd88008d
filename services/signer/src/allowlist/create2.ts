/**
 * The vote proxy's CREATE2 address, computed exactly as `VoteProxyFactory` does with
 * `ProxyArgs.creationCode`: a 10-byte constructor, the EIP-1167 forwarder to the implementation,
 * then cold, hot and customerId as immutable arguments.
 */
import { concat, getAddress, getCreate2Address, keccak256 } from "ethers";

/**
 * Creation code of a clone of `implementation` carrying its arguments.
 *
 * @example proxyCreationCode(impl, cold, hot, customerId)
 */
export function proxyCreationCode(
  implementation: string,
  cold: string,
  hot: string,
  customerId: string,
): string {
  return concat([
    "0x3d607580600a3d3981f3",
    "0x363d3d373d3d3d363d73",
    getAddress(implementation),
    "0x5af43d82803e903d91602b57fd5bf3",
    getAddress(cold),
    getAddress(hot),
    customerId,
  ]);
}

/** Address `factory.createProxy(customerId, cold, hot)` deploys to (= `factory.predictProxy`). */
export function predictProxyAddress(
  factory: string,
  implementation: string,
  customerId: string,
  cold: string,
  hot: string,
): string {
  return getCreate2Address(
    getAddress(factory),
    customerId,
    keccak256(proxyCreationCode(implementation, cold, hot, customerId)),
  );
}
