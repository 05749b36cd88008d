import { dataSlice, id, zeroPadValue } from "ethers";

/**
 * A 128-bit customer id, left-padded to the bytes32 the factory takes, derived from a label: what
 * scripts, benchmarks and tests use where the service would pass a customer's UUID (`customerSalt`).
 *
 * @example customerIdFromLabel("customer:acme") // "0x00000000000000000000000000000000 <16 bytes>"
 */
export function customerIdFromLabel(label: string): string {
  return zeroPadValue(dataSlice(id(label), 0, 16), 32);
}
