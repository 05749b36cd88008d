import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { createHash } from "node:crypto";
import { IntegrityError, InvalidInputError, RefusedError } from "../errors.js";
import { parseAddress } from "./evm/address.js";
import { callArg } from "./evm/abi.js";
import { parseContractAddress, parseTezosAddress, parseTz1 } from "./tezos/base58.js";
import { withdrawAmount, isContractAddress } from "./tezos/operation.js";
import type { DecodedEvmRequest, DecodedRequest, DecodedTezosRequest } from "./request.js";

/** What the registry knows about one cold key. */
export interface ColdKeyRecord {
  /** EIP-55 address or tz1. */
  readonly keyId: string;
  /** The fresh key generated in the same ceremony: the only destination once this key is burned. */
  readonly successor: string;
  /**
   * Vote proxies or delegation contracts of this key, when the ceremony knows them. When set,
   * the post-burn contract calls (freeAll/rescue, %withdraw) are limited to these addresses.
   */
  readonly contracts?: readonly string[];
  /** Digests signed with this key, oldest first. Non-empty means burned. */
  readonly signed: readonly string[];
}

type LineBody =
  | { type: "born"; keyId: string; successor: string; contracts?: string[] }
  | { type: "signed"; keyId: string; digest: string; kind: string; sweep: boolean };
type Line = { seq: number; prev: string; at: string } & LineBody;

const GENESIS = "0".repeat(64);
const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");

function normaliseKeyId(field: string, value: unknown): string {
  if (typeof value === "string" && value.startsWith("0x")) return parseAddress(field, value);
  return parseTz1(field, value);
}

function sameAddress(a: string, b: string): boolean {
  return a.startsWith("0x") ? a.toLowerCase() === b.toLowerCase() : a === b;
}

function signerOf(decoded: DecodedRequest): string {
  return decoded.kind === "evm-transaction" ? decoded.from : decoded.summary.source;
}

function contractAllowed(entry: ColdKeyRecord, address: string): boolean {
  return entry.contracts === undefined || entry.contracts.some((c) => sameAddress(c, address));
}

function evmSweepReason(d: DecodedEvmRequest, entry: ColdKeyRecord): string | undefined {
  const { tx, call } = d;
  if (call.kind === "none") {
    return sameAddress(tx.to, entry.successor)
      ? undefined
      : `plain transfer to ${tx.to}, not to the successor`;
  }
  if (call.kind !== "known") return "an unknown call is never a sweep";
  if (call.name === "transfer") {
    const to = callArg(call, "to") ?? "";
    if (!sameAddress(to, entry.successor)) return `token transfer to ${to}, not to the successor`;
    return tx.value === 0n ? undefined : "a token transfer must not also send ETH";
  }
  if (call.name === "freeAll" || call.name === "rescue" || call.name === "rescueEth") {
    if (tx.value !== 0n) return `${call.name} must not send ETH`;
    return contractAllowed(entry, tx.to) ? undefined : `${tx.to} is not a contract recorded for this key`;
  }
  return `${call.signature} is not part of a sweep`;
}

function tezosSweepReason(d: DecodedTezosRequest, entry: ColdKeyRecord): string | undefined {
  for (const [i, op] of d.operation.contents.entries()) {
    if (op.kind === "reveal") continue;
    if (op.parameters === undefined) {
      if (op.destination !== entry.successor)
        return `operation ${i + 1} transfers to ${op.destination}, not to the successor`;
      continue;
    }
    if (withdrawAmount(op) === undefined || !isContractAddress(op.destination)) {
      return `operation ${i + 1} calls %${op.parameters.entrypoint}, which is not part of a sweep`;
    }
    if (op.amount !== 0n) return `operation ${i + 1} sends tez along with %withdraw`;
    if (!contractAllowed(entry, op.destination))
      return `${op.destination} is not a contract recorded for this key`;
  }
  return undefined;
}

/**
 * Why `decoded` is not a sweep of `entry`'s key to its successor, or undefined when it is.
 * A sweep only moves what remains to the successor: transfers to the successor, and the
 * zero-value contract calls that send funds back to the cold address itself.
 */
export function notASweepBecause(decoded: DecodedRequest, entry: ColdKeyRecord): string | undefined {
  return decoded.kind === "evm-transaction"
    ? evmSweepReason(decoded, entry)
    : tezosSweepReason(decoded, entry);
}

/**
 * What the request's own bytes say about earlier signatures: an EVM nonce above zero, or a Tezos
 * batch without a reveal, can only exist after the key has signed. This catches a registry that
 * was rolled back or lost, which its hash chain alone cannot detect.
 */
export function priorUseEvidence(decoded: DecodedRequest): string | undefined {
  if (decoded.kind === "evm-transaction") {
    return decoded.tx.nonce === 0n ? undefined : `its nonce is ${decoded.tx.nonce}`;
  }
  return decoded.operation.contents[0]?.kind === "reveal" ? undefined : "it does not reveal the key first";
}

/**
 * File-backed registry of cold keys and the digests they signed, kept as hash-chained JSON lines.
 * Every change rewrites the file to a temporary name, fsyncs it and renames it over the old one,
 * so a crash leaves either the old or the new registry, never a torn one.
 *
 * @example
 * const registry = BurnRegistry.open("burn-registry.jsonl");
 * registry.registerKey({ keyId: coldAddress, successor: nextColdAddress });
 */
export class BurnRegistry {
  readonly path: string;
  #lines: Line[] = [];
  #keys = new Map<string, ColdKeyRecord>();

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Opens (or starts) a registry file and verifies its hash chain.
   *
   * @throws InvalidInputError (field `registryPath`) when the folder does not exist.
   * @throws IntegrityError when a line is malformed, out of sequence or its chain is broken.
   */
  static open(path: string): BurnRegistry {
    if (typeof path !== "string" || path.length === 0 || !existsSync(dirname(path))) {
      throw new InvalidInputError("registryPath", `the folder of ${String(path)} does not exist`);
    }
    const registry = new BurnRegistry(path);
    registry.#load(existsSync(path) ? readFileSync(path, "utf8") : "");
    return registry;
  }

  #load(text: string): void {
    const lines: Line[] = [];
    const keys = new Map<string, ColdKeyRecord>();
    let prev = GENESIS;
    const raw = text.split("\n").filter((l) => l.length > 0);
    raw.forEach((l, i) => {
      let line: Line;
      try {
        line = JSON.parse(l) as Line;
      } catch {
        throw new IntegrityError("burnRegistry", `line ${i + 1} is not JSON`);
      }
      if (line.seq !== i || line.prev !== prev) {
        throw new IntegrityError(
          "burnRegistry",
          `line ${i + 1} breaks the hash chain (edited or removed lines)`,
        );
      }
      prev = sha256(l);
      this.#apply(keys, line, i);
      lines.push(line);
    });
    this.#lines = lines;
    this.#keys = keys;
  }

  #apply(keys: Map<string, ColdKeyRecord>, line: Line, i: number): void {
    if (line.type === "born") {
      keys.set(
        line.keyId,
        Object.freeze({
          keyId: line.keyId,
          successor: line.successor,
          ...(line.contracts ? { contracts: Object.freeze([...line.contracts]) } : {}),
          signed: Object.freeze([]),
        }),
      );
    } else if (line.type === "signed") {
      const entry = keys.get(line.keyId);
      if (entry === undefined)
        throw new IntegrityError("burnRegistry", `line ${i + 1} signs with an unregistered key`);
      keys.set(
        line.keyId,
        Object.freeze({ ...entry, signed: Object.freeze([...entry.signed, line.digest]) }),
      );
    } else {
      throw new IntegrityError("burnRegistry", `line ${i + 1} has an unknown type`);
    }
  }

  #append(line: LineBody): void {
    // Another process may have written since we loaded: refuse rather than fork the chain.
    const onDisk = existsSync(this.path) ? readFileSync(this.path, "utf8") : "";
    const ours = this.#lines.map((l) => JSON.stringify(l)).join("\n");
    if (onDisk.trimEnd() !== ours)
      throw new RefusedError("REGISTRY_CHANGED", `${this.path} changed on disk; reopen it`);
    const last =
      this.#lines.length === 0 ? GENESIS : sha256(JSON.stringify(this.#lines[this.#lines.length - 1]));
    const full: Line = { seq: this.#lines.length, prev: last, at: new Date().toISOString(), ...line };
    const next = [...this.#lines, full];
    const text = `${next.map((l) => JSON.stringify(l)).join("\n")}\n`;
    const tmp = `${this.path}.tmp-${process.pid}`;
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    const dir = openSync(dirname(this.path), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    this.#apply(this.#keys, full, full.seq);
    this.#lines = next;
  }

  /** The record of a key, or undefined if the ceremony never registered it. */
  get(keyId: string): ColdKeyRecord | undefined {
    return this.#keys.get(normaliseKeyId("keyId", keyId));
  }

  /** True once the key has signed anything. */
  isBurned(keyId: string): boolean {
    return (this.get(keyId)?.signed.length ?? 0) > 0;
  }

  /**
   * Records a cold key and its successor at birth (the ceremony calls this). Registering the
   * same key again with the same successor is a no-op.
   *
   * @throws InvalidInputError naming `keyId`, `successor` or `contracts[i]` for malformed addresses,
   *   a successor of the other chain, or a successor equal to the key.
   * @throws RefusedError `SUCCESSOR_ALREADY_RECORDED` when the key has a different successor.
   */
  registerKey(params: { keyId: string; successor: string; contracts?: readonly string[] }): ColdKeyRecord {
    const keyId = normaliseKeyId("keyId", params.keyId);
    const evm = keyId.startsWith("0x");
    const successor = evm
      ? parseAddress("successor", params.successor)
      : parseTz1("successor", params.successor);
    if (successor === keyId) throw new InvalidInputError("successor", "must differ from the key itself");
    const contracts = params.contracts?.map((c, i) =>
      evm
        ? parseAddress(`contracts[${i}]`, c)
        : parseContractAddress(`contracts[${i}]`, parseTezosAddress(`contracts[${i}]`, c)),
    );
    const existing = this.#keys.get(keyId);
    if (existing !== undefined) {
      if (existing.successor !== successor) {
        throw new RefusedError(
          "SUCCESSOR_ALREADY_RECORDED",
          `${keyId} was born with successor ${existing.successor}`,
        );
      }
      return existing;
    }
    this.#append({ type: "born", keyId, successor, ...(contracts ? { contracts } : {}) });
    return this.#keys.get(keyId) as ColdKeyRecord;
  }

  /**
   * Refuses a signature the key may not make: an unregistered key, a request from another
   * address, or, once the key has signed (by the registry, or by the request's own nonce or
   * missing reveal), anything but the sweep to its successor. Re-signing a
   * digest already recorded (after a crash) is allowed: it cannot move anything new.
   *
   * @throws RefusedError `KEY_NOT_REGISTERED`, `KEY_MISMATCH` or `KEY_BURNED`.
   */
  assertMaySign(keyId: string, decoded: DecodedRequest): void {
    this.#check(keyId, decoded);
  }

  #check(keyId: string, decoded: DecodedRequest): { entry: ColdKeyRecord; sweep: boolean; repeat: boolean } {
    const id = normaliseKeyId("keyId", keyId);
    const entry = this.#keys.get(id);
    if (entry === undefined) throw new RefusedError("KEY_NOT_REGISTERED", `${id} has no successor on record`);
    const signer = signerOf(decoded);
    if (!sameAddress(signer, id))
      throw new RefusedError("KEY_MISMATCH", `the request is from ${signer}, not ${id}`);
    const reason = notASweepBecause(decoded, entry);
    if (entry.signed.includes(decoded.digest)) return { entry, sweep: reason === undefined, repeat: true };
    if (reason !== undefined) {
      if (entry.signed.length > 0) {
        throw new RefusedError(
          "KEY_BURNED",
          `${id} has signed before and may only sweep to ${entry.successor}: ${reason}`,
        );
      }
      const evidence = priorUseEvidence(decoded);
      if (evidence !== undefined) {
        throw new RefusedError(
          "KEY_BURNED",
          `${id} has no signature on record, but ${evidence}, so it has signed before (is this registry ` +
            `a stale copy?); it may only sweep to ${entry.successor}: ${reason}`,
        );
      }
    }
    return { entry, sweep: reason === undefined, repeat: false };
  }

  /**
   * Write-ahead record of a signature about to be made: checks {@link assertMaySign}, then
   * durably appends the digest, and only then may the caller sign.
   *
   * @throws RefusedError as {@link assertMaySign}.
   */
  recordSignature(keyId: string, decoded: DecodedRequest): void {
    const { entry, sweep, repeat } = this.#check(keyId, decoded);
    if (repeat) return;
    this.#append({ type: "signed", keyId: entry.keyId, digest: decoded.digest, kind: decoded.kind, sweep });
  }
}
