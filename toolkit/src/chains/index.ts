// Public API of the chain side of the toolkit: request format, trusted display, burn registry,
// sweep preparation and the EVM and Tezos cold signers.
export * from "./request.js";
export * from "./display.js";
export * from "./burn-registry.js";
export * from "./sweep.js";
export { formatUnits } from "./hex.js";
export { addressFromPrivateKey, addressFromPublicKey, checksumAddress, parseAddress } from "./evm/address.js";
export {
  KNOWN_CALLS,
  callSignature,
  decodeCall,
  encodeCall,
  selectorOf,
  type DecodedCall,
} from "./evm/abi.js";
export {
  decodeSignedTransaction,
  decodeUnsignedTransaction,
  encodeUnsignedTransaction,
  normaliseTransaction,
  signTransaction,
  transactionSigningHash,
  type Eip1559Transaction,
  type Eip1559TransactionInput,
  type SignedEip1559Transaction,
} from "./evm/transaction.js";
export { signEvmRequest, type ColdSignOptions, type SignedEvmRequest } from "./evm/sign.js";
export {
  encodePublicKey,
  encodeSignature,
  operationHash,
  parsePublicKey,
  parseTezosAddress,
  parseTz1,
  tz1FromPublicKey,
} from "./tezos/base58.js";
export {
  forgeOperation,
  normaliseOperation,
  operationSigningHash,
  parseForgedOperation,
  signingBytes,
  type TezosOperation,
  type TezosOperationInput,
} from "./tezos/operation.js";
export {
  attachSignature,
  prepareTezosSigning,
  type SignedTezosOperation,
  type TezosSigningPayload,
} from "./tezos/sign.js";
