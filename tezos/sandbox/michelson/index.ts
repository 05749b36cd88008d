/**
 * Public API of the sandbox's Michelson typechecker and interpreter.
 *
 * The ledger and the RPC layer import only from this file; everything else in this folder is an
 * implementation detail whose names may change.
 *
 * Typical use by the ledger:
 * ```ts
 * const typed = typecheckScript(parseScript(originationScript.code)); // cache per contract
 * const storage = normalizeData(typed.storageType, originationScript.storage);
 * const result = execute(typed, { entrypoint: "default", parameter, storage }, ctx);
 * // result.storage, result.operations (to apply in order), result.gasConsumed
 * ```
 *
 * @module
 */

export type { Micheline, MichelinePrim, MichelineInt, MichelineString, MichelineBytes } from "./micheline.js";
export { parseMichelson, formatMicheline } from "./micheline.js";

export type { Script, ScriptView, TypedScript, EntrypointInfo, TypecheckOptions } from "./script.js";
export {
  parseScript,
  typecheckScript,
  typecheckData,
  normalizeData,
  typecheckType,
  resolveEntrypoint,
  listEntrypoints,
  isPackableType,
  scriptToMicheline,
} from "./script.js";

export type {
  ExecutionContext,
  ExecutionRequest,
  ExecutionResult,
  InternalOperation,
  TransactionOperation,
  DelegationOperation,
  OriginationOperation,
  EventOperation,
  UnparsingMode,
} from "./execute.js";
export { execute, runScript, defaultContext, DEFAULT_GAS_LIMIT } from "./execute.js";
export type { BigMapStore, BigMapUpdate, StoredBigMap } from "./bigmaps.js";
export { createMemoryBigMapStore } from "./bigmaps.js";

export { pack, unpack } from "./pack.js";
export { encodeMicheline, decodeMicheline } from "./binary.js";

export type { RuntimeErrorKind, TypeErrorKind, RpcError, RpcErrorOptions } from "./errors.js";
export {
  MichelsonError,
  MichelsonTypeError,
  MichelsonRuntimeError,
  toRpcError,
  toRpcErrors,
} from "./errors.js";

export {
  encodeAddress,
  decodeAddress,
  isValidAddress,
  isImplicitAddress,
  keyHashOfPublicKey,
  originatedAddress,
} from "./encoding.js";
export type { ConformanceCase, ConformanceResult, ExpectedFailure } from "./conformance.js";
export { runConformanceCase } from "./conformance.js";
