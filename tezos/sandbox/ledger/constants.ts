/**
 * Chain-wide constants of the sandbox. Values follow the Tallinn protocol (024) that Taquito 25
 * targets, so Taquito's estimator and local forger behave exactly as against a real node.
 */
import { ProtocolsHash } from "@taquito/local-forging";

/** The protocol Taquito forges for (it reads `next_protocol` from `/protocols`). */
export const PROTOCOL_HASH: string = ProtocolsHash.PtTALLiNt;
/** Prefix of protocol error ids, as the node prints them. */
export const PROTOCOL_ERROR_PREFIX = "proto.024-PtTALLiN";
/** A fixed chain id for the sandbox (base58 `Net...`, 4 bytes). Not a public network's id. */
export const SANDBOX_CHAIN_ID_BYTES = Uint8Array.of(0xc0, 0x1d, 0xba, 0x7e);

/** Storage burn per byte (mutez), `cost_per_byte`. */
export const COST_PER_BYTE = 250n;
/** Bytes burnt for a new account or contract, `origination_size`. */
export const ORIGINATION_SIZE = 257n;
export const HARD_GAS_LIMIT_PER_OPERATION = 1_040_000n;
export const HARD_GAS_LIMIT_PER_BLOCK = 1_386_666n;
export const HARD_STORAGE_LIMIT_PER_OPERATION = 60_000n;
/** Blocks an operation's branch stays valid for. */
export const MAX_OPERATIONS_TTL = 450;
/** Seconds; Taquito polls at a third of it unless told otherwise. */
export const MINIMAL_BLOCK_DELAY = 1;

/**
 * Gas model (in milligas). The real protocol charges per instruction, per byte decoded and per
 * signature check; the sandbox charges a fixed base per manager operation, the interpreter's
 * own count for scripts, and a per-byte cost for reading and writing scripts, so that estimates
 * grow with the work done and a too-small gas limit fails the way it does on a node.
 */
export const GAS = {
  managerOperation: 100_000n,
  perScriptByte: 2_000n,
  perStorageByte: 1_000n,
} as const;

/** Maximum mutez value (the protocol's tez are int64). */
export const MAX_MUTEZ = 9_223_372_036_854_775_807n;

/** The constants object served by `/chains/main/blocks/<id>/context/constants`. */
export function constantsJson(): Record<string, unknown> {
  return {
    proof_of_work_nonce_size: 8,
    nonce_length: 32,
    max_anon_ops_per_block: 132,
    max_operation_data_length: 32768,
    max_proposals_per_delegate: 20,
    max_micheline_node_count: 50000,
    max_micheline_bytes_limit: 50000,
    max_allowed_global_constants_depth: 10000,
    michelson_maximum_type_size: 2001,
    preserved_cycles: 2,
    consensus_rights_delay: 2,
    blocks_per_cycle: 128,
    blocks_per_commitment: 16,
    hard_gas_limit_per_operation: HARD_GAS_LIMIT_PER_OPERATION.toString(),
    hard_gas_limit_per_block: HARD_GAS_LIMIT_PER_BLOCK.toString(),
    hard_storage_limit_per_operation: HARD_STORAGE_LIMIT_PER_OPERATION.toString(),
    cost_per_byte: COST_PER_BYTE.toString(),
    origination_size: Number(ORIGINATION_SIZE),
    minimal_block_delay: String(MINIMAL_BLOCK_DELAY),
    delay_increment_per_round: "1",
    max_operations_time_to_live: MAX_OPERATIONS_TTL,
    minimal_stake: "6000000000",
    minimal_frozen_stake: "600000000",
  };
}
