/**
 * Tezos client of Coldpath: delegation contracts driven through Taquito.
 *
 * @module
 */
export { DelegationClient } from "./client.js";
export type {
  DelegationClientOptions,
  DelegationStatus,
  PreparedWithdrawal,
  PreparedOperationSummary,
  PrepareWithdrawalParams,
} from "./client.js";
export {
  DELEGATION_CONTRACT_PATH,
  DELEGATION_ERRORS,
  delegationCode,
  delegationSource,
  delegationStorage,
  parseDelegationStorage,
} from "./contract.js";
export type { DelegationStorage, Micheline } from "./contract.js";
export {
  TezosClientError,
  InvalidInputError,
  InvalidAddressError,
  InvalidAmountError,
  WrongKeyTypeError,
  OperationFailedError,
} from "./errors.js";
export { GENERIC_WATERMARK, SoftwareEd25519Signer, TaquitoSignerAdapter, signingDigest } from "./signer.js";
export type { HotSigner, TaquitoSigner, TaquitoSignResult } from "./signer.js";
export { MAX_MUTEZ, assertBaker, assertKt1, assertMutez, assertTz1 } from "./validate.js";
