/**
 * The vote proxy's CREATE2 address, computed exactly as `VoteProxyFactory` does with
 * `ProxyArgs.creationCode` (contracts/governance/ProxyArgs.sol lists every opcode): an 80-byte
 * constructor, then the 165-byte runtime carrying hot, a zero chief (the constructor asks the factory
 * for it), the implementation, cold and the low 16 bytes of the customerId (decision 0010).
 */
import { concat, dataSlice, getAddress, getCreate2Address, isHexString, keccak256 } from "ethers";

/**
 * Whether `customerId` is a bytes32 value the factory accepts: it must fit in 128 bits, since a proxy
 * keeps only its low 16 bytes (`VoteProxyFactoryInvalidCustomerId` otherwise).
 */
export function isValidCustomerId(customerId: string): boolean {
  return isHexString(customerId, 32) && /^0x0{32}/.test(customerId);
}

/**
 * Creation code of a clone of `implementation` carrying its arguments.
 *
 * @throws {RangeError} when `customerId` does not fit in 128 bits (see {@link isValidCustomerId}).
 * @example proxyCreationCode(impl, cold, hot, customerId)
 */
export function proxyCreationCode(
  implementation: string,
  cold: string,
  hot: string,
  customerId: string,
): string {
  if (!isValidCustomerId(customerId)) {
    throw new RangeError(`customerId ${customerId} is not a bytes32 value below 2^128`);
  }
  return concat([
    // Constructor: (chief, iou) from the factory, approve(address) of the IOU, chief written, return.
    "0x60405f5f5f335afa3d6040141615603357602051801560375763daea85c56040",
    "0x525f516060525f5f6024605c5f855af16037575b5f5ffd5b5f51607052603c60",
    "0x50604039605560a060903960a56040f3",
    // Runtime: calldata copy and vote-selector test, up to the initial hot key.
    "0x365f601c3760208036601c5f518063ed081329189063a69beaba18025f5473",
    getAddress(hot),
    "0x183318176066573473",
    "0x0000000000000000000000000000000000000000", // the chief, written by the constructor
    "0x5af16020515f5fa15b3d5f803e3d5f82606457fd5bf35b73",
    getAddress(implementation),
    "0x5af4605856",
    getAddress(cold),
    dataSlice(customerId, 16),
  ]);
}

/**
 * Address `factory.createProxy(customerId, cold, hot)` deploys to (= `factory.predictProxy`).
 *
 * @throws {RangeError} when `customerId` does not fit in 128 bits.
 */
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
