/**
 * The sandbox chain: ledger state, blocks, and the node-level entry points the RPC layer calls
 * (inject, preapply, simulate, reads). Every injected operation is validated, applied and baked
 * into a new block at once, so a client polling the head sees it confirmed immediately.
 */
import { LocalForger } from "@taquito/local-forging";
import type { ProtocolsHash } from "@taquito/local-forging";
import { PrefixV2, b58Encode, buf2hex, getPkhfromPk, hex2buf } from "@taquito/utils";
import { applyGroup, validateGroup } from "./apply.js";
import type { ContentWithMetadata, ManagerContent } from "./apply.js";
import { MAX_OPERATIONS_TTL, PROTOCOL_HASH, SANDBOX_CHAIN_ID_BYTES } from "./constants.js";
import {
  blockHash,
  decodeSignature,
  encodeOperationHash,
  operationHashBytes,
  verifyOperationSignature,
} from "./crypto.js";
import type { ScriptEngine } from "./engine.js";
import { OperationRejected, protoError } from "./errors.js";
import { LedgerState } from "./state.js";
import type { Account } from "./state.js";

/** An operation as included in a block. */
export interface BlockOperation {
  readonly protocol: string;
  readonly chain_id: string;
  readonly hash: string;
  readonly branch: string;
  readonly contents: readonly ContentWithMetadata[];
  readonly signature: string;
}

/** A baked block (the JSON the RPC serves is derived from it). */
export interface Block {
  readonly hash: string;
  readonly level: number;
  readonly predecessor: string;
  readonly timestamp: string;
  readonly operations: readonly BlockOperation[];
}

/** An operation in the JSON form of `preapply` and `simulate_operation`. */
export interface OperationJson {
  readonly branch: string;
  readonly contents: readonly ManagerContent[];
  readonly signature?: string;
}

export interface SandboxChainOptions {
  readonly engine: ScriptEngine;
  /** Seconds since the epoch; defaults to the wall clock. */
  readonly clock?: () => bigint;
}

const GENESIS_PREDECESSOR = b58Encode(new Uint8Array(32), PrefixV2.BlockHash);

/** The whole sandbox node minus HTTP. */
export class SandboxChain {
  readonly chainId: string = b58Encode(SANDBOX_CHAIN_ID_BYTES, PrefixV2.ChainID);
  readonly protocol: string = PROTOCOL_HASH;
  readonly state = new LedgerState();
  readonly blocks: Block[] = [];
  readonly engine: ScriptEngine;
  readonly #clock: () => bigint;
  readonly #forger = new LocalForger(PROTOCOL_HASH as ProtocolsHash);
  readonly #byHash = new Map<string, Block>();
  /** Operation hashes already included, for the node's duplicate check. */
  readonly #included = new Set<string>();

  constructor(opts: SandboxChainOptions) {
    this.engine = opts.engine;
    this.#clock = opts.clock ?? (() => BigInt(Math.floor(Date.now() / 1000)));
    // A few empty blocks so that `head~2` (Taquito's default branch) exists from the start.
    for (let i = 0; i < 3; i++) this.#bake([]);
  }

  get head(): Block {
    return this.blocks[this.blocks.length - 1]!;
  }

  /**
   * Adds a funded, revealed implicit account (a bootstrap account).
   *
   * @throws {Error} when the key is not an Ed25519 `edpk` key.
   */
  addBootstrapAccount(publicKey: string, balanceMutez: bigint): string {
    if (!publicKey.startsWith("edpk")) throw new Error("bootstrap accounts are Ed25519 (edpk) keys");
    const address = getPkhfromPk(publicKey);
    const existing = this.state.implicit(address) ?? this.state.freshImplicit(address);
    this.state.put({ ...existing, balance: existing.balance + balanceMutez, publicKey });
    return address;
  }

  /** Registers an implicit account as a delegate (a baker), as bootstrap parameters do. */
  registerDelegate(address: string): void {
    const account = this.state.implicit(address);
    if (account === undefined) throw new Error(`cannot register ${address}: no such funded account`);
    this.state.delegates.add(address);
    this.state.put({ ...account, delegate: address });
  }

  /** Resolves a block id: `head`, `head~N`, `genesis`, a level or a block hash. */
  block(id: string): Block | undefined {
    if (id === "head") return this.head;
    if (id === "genesis") return this.blocks[0];
    const rel = /^head~(\d+)$/.exec(id);
    if (rel) return this.blocks[this.blocks.length - 1 - Number(rel[1])];
    if (/^\d+$/.test(id)) return this.blocks[Number(id)];
    return this.#byHash.get(id);
  }

  account(address: string): Account | undefined {
    return this.state.get(address);
  }

  /**
   * Validates, applies and bakes a signed operation (`/injection/operation`).
   *
   * @throws {OperationRejected} with the node's errors when it cannot be included.
   */
  async inject(signedHex: string): Promise<string> {
    if (!/^([0-9a-fA-F]{2})+$/.test(signedHex) || signedHex.length < 2 * (32 + 64 + 1)) {
      throw new OperationRejected([protoError("permanent", "operation.invalid_bytes")]);
    }
    const bytes = hex2buf(signedHex);
    const forged = bytes.slice(0, bytes.length - 64);
    const signature = bytes.slice(bytes.length - 64);
    let parsed: { branch: string; contents: ManagerContent[] };
    try {
      parsed = (await this.#forger.parse(buf2hex(forged))) as unknown as typeof parsed;
    } catch (err) {
      throw new OperationRejected([
        protoError("permanent", "operation.invalid_bytes", { message: (err as Error).message }),
      ]);
    }
    const hashBytes = operationHashBytes(bytes);
    const hash = encodeOperationHash(hashBytes);
    if (this.#included.has(hash)) {
      throw new OperationRejected([
        { kind: "permanent", id: "node.prevalidation.oph_already_included", hash },
      ]);
    }
    this.#checkBranch(parsed.branch);
    const contents = this.#process(parsed.contents, forged, signature, hashBytes, this.state);
    this.#bake([
      {
        protocol: this.protocol,
        chain_id: this.chainId,
        hash,
        branch: parsed.branch,
        contents,
        signature: b58Encode(signature, PrefixV2.Ed25519Signature),
      },
    ]);
    this.#included.add(hash);
    return hash;
  }

  /**
   * Applies signed operations on a copy of the state (`/helpers/preapply/operations`).
   *
   * @throws {OperationRejected} when an operation cannot be included.
   */
  async preapply(
    ops: readonly OperationJson[],
  ): Promise<{ contents: ContentWithMetadata[]; signature?: string }[]> {
    const state = this.state.snapshot();
    const out = [];
    for (const op of ops) {
      this.#checkBranch(op.branch);
      const forged = hex2buf(await this.#forge(op));
      let signature: Uint8Array;
      try {
        signature = decodeSignature(op.signature ?? "");
      } catch {
        throw new OperationRejected([protoError("permanent", "operation.invalid_signature")]);
      }
      const signed = new Uint8Array(forged.length + 64);
      signed.set(forged);
      signed.set(signature, forged.length);
      const contents = this.#process(op.contents, forged, signature, operationHashBytes(signed), state);
      out.push({ contents, ...(op.signature !== undefined ? { signature: op.signature } : {}) });
    }
    return out;
  }

  /**
   * Runs an operation without checking its signature, on a copy of the state
   * (`/helpers/scripts/simulate_operation` and `run_operation`), for estimation.
   *
   * @throws {OperationRejected} when it could not be included at all.
   */
  async simulate(op: OperationJson): Promise<{ contents: ContentWithMetadata[] }> {
    const state = this.state.snapshot();
    const forged = hex2buf(await this.#forge(op));
    const signed = new Uint8Array(forged.length + 64);
    signed.set(forged);
    return { contents: this.#process(op.contents, forged, null, operationHashBytes(signed), state) };
  }

  /** Forges an operation locally (the sandbox's answer to `/helpers/forge/operations`). */
  async forge(op: OperationJson): Promise<string> {
    return this.#forge(op);
  }

  async #forge(op: OperationJson): Promise<string> {
    try {
      return await this.#forger.forge({ branch: op.branch, contents: op.contents as never });
    } catch (err) {
      throw new OperationRejected([
        protoError("permanent", "operation.invalid_json", { message: (err as Error).message }),
      ]);
    }
  }

  #checkBranch(branch: string): void {
    const block = this.#byHash.get(branch);
    if (block === undefined) {
      throw new OperationRejected([{ kind: "branch", id: "node.prevalidation.unknown_branch", branch }]);
    }
    if (this.head.level - block.level >= MAX_OPERATIONS_TTL) {
      throw new OperationRejected([protoError("branch", "validate.outdated_operation", { branch })]);
    }
  }

  /** Validation, signature check (unless simulating), then application. */
  #process(
    contents: readonly ManagerContent[],
    forged: Uint8Array,
    signature: Uint8Array | null,
    hashBytes: Uint8Array,
    state: LedgerState,
  ): ContentWithMetadata[] {
    // Validate on a copy first so a bad signature leaves fees and counters untouched.
    const trial = state.snapshot();
    const key = validateGroup(trial, contents);
    if (signature !== null && !verifyOperationSignature(forged, signature, key)) {
      throw new OperationRejected([protoError("permanent", "operation.invalid_signature")]);
    }
    state.restore(trial);
    const next = this.head.level + 1;
    return applyGroup(state, contents, {
      engine: this.engine,
      operationHash: hashBytes,
      block: { level: next, timestamp: this.#nextTimestamp(), chainId: this.chainId },
    });
  }

  #nextTimestamp(): bigint {
    const now = this.#clock();
    const last = this.blocks.length > 0 ? BigInt(Date.parse(this.head.timestamp) / 1000) : 0n;
    return now > last ? now : last;
  }

  #bake(operations: BlockOperation[]): void {
    const level = this.blocks.length;
    const predecessor = level === 0 ? GENESIS_PREDECESSOR : this.head.hash;
    const timestamp = new Date(Number(this.#nextTimestamp()) * 1000).toISOString().replace(".000Z", "Z");
    const hash = blockHash(
      level,
      predecessor,
      timestamp,
      operations.map((o) => o.hash),
    );
    const block: Block = { hash, level, predecessor, timestamp, operations };
    this.blocks.push(block);
    this.#byHash.set(hash, block);
  }
}
