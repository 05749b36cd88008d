/**
 * The sandbox ledger: accounts, operation application and blocks.
 *
 * @module
 */
export { SandboxChain } from "./chain.js";
export type { Block, BlockOperation, OperationJson, SandboxChainOptions } from "./chain.js";
export { createMichelsonEngine } from "./michelson-engine.js";
export type { EmittedOperation, LoadedScript, RunContext, RunResult, ScriptEngine } from "./engine.js";
export type { ContentWithMetadata, ManagerContent, OperationResult } from "./apply.js";
export { ApplyFailure, OperationRejected, protoError } from "./errors.js";
export type { NodeError } from "./errors.js";
export type { Account, ImplicitAccount, OriginatedAccount } from "./state.js";
export { originatedAddress } from "./crypto.js";
export * as constants from "./constants.js";
