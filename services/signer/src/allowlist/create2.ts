/**
 * The vote proxy's CREATE2 address, computed exactly as `VoteProxyFactory` does with
 * `ProxyArgs.creationCode` (contracts/governance/ProxyArgs.sol lists every opcode): a 118-byte
 * constructor, then the runtime carrying the implementation, hot, a zero chief (the constructor reads
 * it from the factory), cold and customerId.
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
    "0x63ffd864d35f5260205f6004601c335afa63a2fca6b3602052602060206004603c335afa163d6020",
    "0x141615606c5760d960766040395f5160601b60b0511760b052602051801560705763095ea7b36101",
    "0x20525f51610140525f19610160525f5f604461013c5f855af16070575b5f5ffd5b60d96040f3",
    "0x365f601c375f5f518063ed081329149063a69beaba14176045575b5f5f36601c73",
    getAddress(implementation),
    "0x5af45b3d82803e903d91604357fd5bf35b5f54801573",
    getAddress(hot),
    "0x021733183417601a5760208036601c5f73",
    "0x0000000000000000000000000000000000000000",
    "0x5af16020516d566f7465642862797465733332295f52600e6012205f5fa2603756",
    getAddress(cold),
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
