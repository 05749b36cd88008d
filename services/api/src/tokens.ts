/** Injection tokens. Every constructor parameter is injected by token because tsx/esbuild emit
 * no decorator metadata, so type-based injection would silently inject `undefined`. */
export const CONFIG = Symbol("CONFIG");
export const DATABASE = Symbol("DATABASE");
export const LOGGER = Symbol("LOGGER");
export const METRICS = Symbol("METRICS");
export const CLOCK = Symbol("CLOCK");
export const CUSTOMERS_REPOSITORY = Symbol("CUSTOMERS_REPOSITORY");
export const API_KEYS_REPOSITORY = Symbol("API_KEYS_REPOSITORY");
export const OPERATIONS_REPOSITORY = Symbol("OPERATIONS_REPOSITORY");
export const IDEMPOTENCY_REPOSITORY = Symbol("IDEMPOTENCY_REPOSITORY");
export const AUDIT_REPOSITORY = Symbol("AUDIT_REPOSITORY");

/** The source of "now"; injected so tests can pin time. */
export type Clock = () => Date;
export const GOVERNANCE_RUNTIME = Symbol("GOVERNANCE_RUNTIME");
export const EVM_OUTBOX_REPOSITORY = Symbol("EVM_OUTBOX_REPOSITORY");
export const EVM_NONCES_REPOSITORY = Symbol("EVM_NONCES_REPOSITORY");
export const GOVERNANCE_PROXIES_REPOSITORY = Symbol("GOVERNANCE_PROXIES_REPOSITORY");
export const STAKING_RUNTIME = Symbol("STAKING_RUNTIME");
export const TEZOS_OUTBOX_REPOSITORY = Symbol("TEZOS_OUTBOX_REPOSITORY");
export const STAKING_CONTRACTS_REPOSITORY = Symbol("STAKING_CONTRACTS_REPOSITORY");
