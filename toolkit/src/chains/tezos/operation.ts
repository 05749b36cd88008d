import { LocalForger, type ForgeParams } from "@taquito/local-forging";
import { blake2b } from "@noble/hashes/blake2.js";
import { InvalidInputError, IntegrityError } from "../../errors.js";
import { bytesEqual, concatBytes, maxUint, parseHex, parseUint, toHex } from "../hex.js";
import {
  b58cDecode,
  parseBranch,
  parsePublicKey,
  parseTezosAddress,
  parseTz1,
  tz1FromPublicKey,
} from "./base58.js";

/** Watermark byte Tezos prepends to manager operations before hashing and signing. */
export const GENERIC_OPERATION_WATERMARK = 0x03;

/** Protocol limits (Paris and later) used as sanity bounds. */
export const HARD_GAS_LIMIT_PER_OPERATION = 1_040_000n;
export const HARD_STORAGE_LIMIT_PER_OPERATION = 60_000n;
/** Mutez amounts are signed 64-bit integers on chain. */
export const MAX_MUTEZ = maxUint(63);
/** A batch longer than this is not something a cold withdrawal needs. */
export const MAX_OPERATIONS_PER_BATCH = 8;

/** Micheline JSON, as Taquito and the node use it. */
export type Micheline =
  | { readonly int: string }
  | { readonly string: string }
  | { readonly bytes: string }
  | { readonly prim: string; readonly args?: readonly Micheline[]; readonly annots?: readonly string[] }
  | readonly Micheline[];

interface ManagerFields {
  readonly source: string;
  readonly fee: bigint;
  readonly counter: bigint;
  readonly gasLimit: bigint;
  readonly storageLimit: bigint;
}

/** A validated transaction (transfer or contract call). */
export interface TezosTransaction extends ManagerFields {
  readonly kind: "transaction";
  readonly amount: bigint;
  readonly destination: string;
  readonly parameters?: { readonly entrypoint: string; readonly value: Micheline };
}

/** A validated reveal of the source's public key. */
export interface TezosReveal extends ManagerFields {
  readonly kind: "reveal";
  readonly publicKey: string;
}

/** A manager operation the toolkit may sign. */
export type TezosManagerOperation = TezosTransaction | TezosReveal;

/** A validated batch of manager operations from one source. */
export interface TezosOperation {
  readonly branch: string;
  readonly contents: readonly TezosManagerOperation[];
}

type Amount = string | bigint | number;

/** Operation fields as they arrive from a caller or a file. */
export interface TezosOperationInput {
  branch: string;
  contents: readonly (
    | {
        kind: "transaction";
        source: string;
        fee: Amount;
        counter: Amount;
        gasLimit: Amount;
        storageLimit: Amount;
        amount: Amount;
        destination: string;
        parameters?: { entrypoint: string; value: Micheline };
      }
    | {
        kind: "reveal";
        source: string;
        fee: Amount;
        counter: Amount;
        gasLimit: Amount;
        storageLimit: Amount;
        publicKey: string;
      }
  )[];
}

const ENTRYPOINT_RE = /^[A-Za-z0-9_.%@]{1,31}$/;

function checkMicheline(field: string, value: unknown, depth = 0): Micheline {
  if (depth > 64) throw new InvalidInputError(field, "Micheline nested too deeply");
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkMicheline(`${field}[${i}]`, v, depth + 1));
    return value as Micheline;
  }
  if (typeof value !== "object" || value === null)
    throw new InvalidInputError(field, "expected Micheline JSON");
  const v = value as Record<string, unknown>;
  if ("int" in v) {
    if (typeof v.int !== "string" || !/^-?(0|[1-9][0-9]*)$/.test(v.int)) {
      throw new InvalidInputError(field, "int must be a decimal string");
    }
  } else if ("string" in v) {
    if (typeof v.string !== "string") throw new InvalidInputError(field, "string must be a string");
  } else if ("bytes" in v) {
    if (typeof v.bytes !== "string" || !/^([0-9a-fA-F]{2})*$/.test(v.bytes)) {
      throw new InvalidInputError(field, "bytes must be hex");
    }
  } else if ("prim" in v) {
    if (typeof v.prim !== "string") throw new InvalidInputError(field, "prim must be a string");
    if (v.args !== undefined) {
      if (!Array.isArray(v.args)) throw new InvalidInputError(field, "args must be a list");
      v.args.forEach((a, i) => checkMicheline(`${field}.args[${i}]`, a, depth + 1));
    }
  } else {
    throw new InvalidInputError(field, "expected Micheline JSON (int, string, bytes, prim or a sequence)");
  }
  return value as Micheline;
}

/**
 * Validates a batch: one tz1 source for every operation, consecutive counters, an optional
 * reveal first whose key hashes to the source, fees, amounts and limits in range, destinations
 * with valid checksums, entrypoint names well-formed.
 *
 * @throws InvalidInputError naming the field, e.g. `contents[1].destination`.
 */
export function normaliseOperation(input: TezosOperationInput): TezosOperation {
  if (typeof input !== "object" || input === null)
    throw new InvalidInputError("operation", "expected an object");
  const branch = parseBranch("branch", input.branch);
  if (!Array.isArray(input.contents) || input.contents.length === 0) {
    throw new InvalidInputError("contents", "expected at least one operation");
  }
  if (input.contents.length > MAX_OPERATIONS_PER_BATCH) {
    throw new InvalidInputError("contents", `at most ${MAX_OPERATIONS_PER_BATCH} operations per batch`);
  }
  const contents = input.contents.map((op, i): TezosManagerOperation => {
    const f = `contents[${i}]`;
    if (typeof op !== "object" || op === null) throw new InvalidInputError(f, "expected an object");
    const common: ManagerFields = {
      source: parseTz1(`${f}.source`, op.source),
      fee: parseUint(`${f}.fee`, op.fee, MAX_MUTEZ),
      counter: parseUint(`${f}.counter`, op.counter, MAX_MUTEZ, 1n),
      gasLimit: parseUint(`${f}.gasLimit`, op.gasLimit, HARD_GAS_LIMIT_PER_OPERATION),
      storageLimit: parseUint(`${f}.storageLimit`, op.storageLimit, HARD_STORAGE_LIMIT_PER_OPERATION),
    };
    if (op.kind === "reveal") {
      if (i !== 0)
        throw new InvalidInputError(`${f}.kind`, "a reveal must be the first operation of a batch");
      const key = parsePublicKey(`${f}.publicKey`, op.publicKey);
      if (tz1FromPublicKey(key) !== common.source) {
        throw new InvalidInputError(`${f}.publicKey`, `does not hash to the source ${common.source}`);
      }
      return Object.freeze({ kind: "reveal", ...common, publicKey: op.publicKey });
    }
    if (op.kind !== "transaction") {
      throw new InvalidInputError(
        `${f}.kind`,
        `only reveal and transaction may be signed, got ${String((op as { kind: unknown }).kind)}`,
      );
    }
    const amount = parseUint(`${f}.amount`, op.amount, MAX_MUTEZ);
    const destination = parseTezosAddress(`${f}.destination`, op.destination);
    if (op.parameters === undefined)
      return Object.freeze({ kind: "transaction", ...common, amount, destination });
    const { entrypoint, value } = op.parameters;
    if (typeof entrypoint !== "string" || !ENTRYPOINT_RE.test(entrypoint)) {
      throw new InvalidInputError(
        `${f}.parameters.entrypoint`,
        "expected an entrypoint name of 1 to 31 characters",
      );
    }
    const parameters = Object.freeze({ entrypoint, value: checkMicheline(`${f}.parameters.value`, value) });
    return Object.freeze({ kind: "transaction", ...common, amount, destination, parameters });
  });
  const first = contents[0] as TezosManagerOperation;
  contents.forEach((op, i) => {
    if (op.source !== first.source) {
      throw new InvalidInputError(
        `contents[${i}].source`,
        "every operation of a batch must share one source",
      );
    }
    if (op.counter !== first.counter + BigInt(i)) {
      throw new InvalidInputError(
        `contents[${i}].counter`,
        `expected ${first.counter + BigInt(i)} (consecutive)`,
      );
    }
  });
  return Object.freeze({ branch, contents: Object.freeze(contents) });
}

const forger = new LocalForger();

function toForgeParams(op: TezosOperation): ForgeParams {
  const contents = op.contents.map((c) => {
    const common = {
      source: c.source,
      fee: c.fee.toString(),
      counter: c.counter.toString(),
      gas_limit: c.gasLimit.toString(),
      storage_limit: c.storageLimit.toString(),
    };
    if (c.kind === "reveal") return { kind: "reveal", ...common, public_key: c.publicKey };
    return {
      kind: "transaction",
      ...common,
      amount: c.amount.toString(),
      destination: c.destination,
      ...(c.parameters === undefined ? {} : { parameters: c.parameters }),
    };
  });
  return { branch: op.branch, contents: contents as unknown as ForgeParams["contents"] };
}

/**
 * Forges a validated operation with Taquito's offline forger.
 *
 * @throws InvalidInputError (field `operation`) if the forger rejects it.
 */
export async function forgeOperation(op: TezosOperation): Promise<Uint8Array> {
  let hex: string;
  try {
    hex = await forger.forge(toForgeParams(op));
  } catch (err) {
    throw new InvalidInputError("operation", `cannot be forged: ${(err as Error).message}`);
  }
  return parseHex("forged", `0x${hex}`);
}

function fromForgeParams(params: ForgeParams): TezosOperationInput {
  const contents = (params.contents as unknown as Record<string, unknown>[]).map((c, i) => {
    const kind = c.kind;
    if (kind !== "reveal" && kind !== "transaction") {
      throw new InvalidInputError(
        `contents[${i}].kind`,
        `only reveal and transaction may be signed, got ${String(kind)}`,
      );
    }
    const common = {
      source: c.source as string,
      fee: c.fee as string,
      counter: c.counter as string,
      gasLimit: c.gas_limit as string,
      storageLimit: c.storage_limit as string,
    };
    if (kind === "reveal") {
      if (c.proof !== undefined)
        throw new InvalidInputError(`contents[${i}].proof`, "reveal proofs are not supported");
      return { kind: "reveal" as const, ...common, publicKey: c.public_key as string };
    }
    return {
      kind: "transaction" as const,
      ...common,
      amount: c.amount as string,
      destination: c.destination as string,
      ...(c.parameters === undefined
        ? {}
        : { parameters: c.parameters as { entrypoint: string; value: Micheline } }),
    };
  });
  return { branch: params.branch, contents };
}

/**
 * Decodes forged operation bytes, validates them, and re-forges the result: bytes that do not
 * re-forge to themselves (trailing data, non-canonical encodings) are refused, so what the display
 * shows is exactly what gets signed.
 *
 * @throws InvalidInputError (field `unsigned` or the offending operation field) for bytes that do
 *   not decode into a supported operation.
 * @throws IntegrityError when the bytes are not the canonical forging of their decoding.
 */
export async function parseForgedOperation(forged: Uint8Array): Promise<TezosOperation> {
  // A 32-byte branch and at least one operation tag: anything shorter is not an operation.
  if (forged.length < 33)
    throw new InvalidInputError("unsigned", `${forged.length} bytes is too short for an operation`);
  let params: ForgeParams;
  try {
    params = await forger.parse(toHex(forged).slice(2));
  } catch (err) {
    throw new InvalidInputError("unsigned", `not a forged Tezos operation: ${(err as Error).message}`);
  }
  const op = normaliseOperation(fromForgeParams(params));
  const again = await forgeOperation(op);
  if (!bytesEqual(again, forged)) {
    throw new IntegrityError(
      "unsigned",
      "bytes are not the canonical forging of the operation they decode to",
    );
  }
  return op;
}

/** Bytes an Ed25519 signer hashes: the 0x03 watermark followed by the forged operation. */
export function signingBytes(forged: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(GENERIC_OPERATION_WATERMARK), forged);
}

/**
 * The 32-byte message a Tezos Ed25519 signature covers: blake2b-256(0x03 || forged). This is
 * what FROST signs and what the operator confirms as the digest.
 */
export function operationSigningHash(forged: Uint8Array): Uint8Array {
  return blake2b(signingBytes(forged), { dkLen: 32 });
}

/** Decoded `withdraw` amount when the parameter is a plain non-negative int, else undefined. */
export function withdrawAmount(op: TezosManagerOperation): bigint | undefined {
  if (op.kind !== "transaction" || op.parameters?.entrypoint !== "withdraw") return undefined;
  const v = op.parameters.value;
  if (!Array.isArray(v) && typeof v === "object" && "int" in v && !v.int.startsWith("-"))
    return BigInt(v.int);
  return undefined;
}

/** True when `value` is a syntactically valid KT1 address. */
export function isContractAddress(value: string): boolean {
  try {
    b58cDecode("address", value, ["KT1"]);
    return true;
  } catch {
    return false;
  }
}
