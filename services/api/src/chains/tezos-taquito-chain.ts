import { TezosToolkit } from "@taquito/taquito";
import { buf2hex, encodeOpHash } from "@taquito/utils";
import { DelegationClient, type DelegationStatus } from "../../../../tezos/src/client.js";
import { OperationFailedError } from "../../../../tezos/src/errors.js";
import { TaquitoSignerAdapter, type HotSigner } from "../../../../tezos/src/signer.js";
import type { SignerClient } from "../../../signer/src/client.js";
import type { TezosBlockLike } from "../indexer/sources.js";
import { RemoteTezosSigner } from "../../../signer/src/client.js";
import {
  TezosRefusalError,
  type SignedTezosOperation,
  type TezosChain,
  type TezosInclusion,
  type TezosIntent,
} from "./tezos-chain.js";

/** Thrown by {@link CapturingSigner} to stop Taquito right after signing, before it injects. */
class SignatureCaptured extends Error {
  constructor(
    readonly forgedBytes: string,
    readonly signature: string,
  ) {
    super("signature captured");
  }
}

/**
 * Signs through the hot signer, then stops Taquito with {@link SignatureCaptured}: the outbox
 * must store the signed bytes before they are injected, and Taquito would inject at once.
 */
class CapturingSigner implements HotSigner {
  constructor(private readonly inner: HotSigner) {}
  publicKey(): Promise<string> {
    return this.inner.publicKey();
  }
  publicKeyHash(): Promise<string> {
    return this.inner.publicKeyHash();
  }
  async sign(bytes: Uint8Array, watermark: Uint8Array): Promise<Uint8Array> {
    const signature = await this.inner.sign(bytes, watermark);
    throw new SignatureCaptured(buf2hex(bytes), buf2hex(signature));
  }
}

interface ResultLike {
  readonly status?: string;
  readonly errors?: readonly { readonly id: string; readonly with?: { string?: string } }[];
  readonly originated_contracts?: readonly string[];
}
interface ContentLike {
  readonly metadata?: {
    readonly operation_result?: ResultLike;
    readonly internal_operation_results?: readonly { readonly result: ResultLike }[];
  };
}

/**
 * {@link TezosChain} over any Tezos node RPC with Taquito: `DelegationClient` builds, estimates
 * and forges the operation, the hot signer (`SIGNER_URL`) signs it, and this class injects the
 * stored bytes and reads receipts from blocks.
 */
export class TaquitoTezosChain implements TezosChain {
  readonly #rpcUrl: string;
  readonly #hot: HotSigner;
  readonly #signer: SignerClient;
  readonly #hotKeyId: string;
  readonly #reader: TezosToolkit;
  #hotAddress: string | undefined;
  #ttl: number | undefined;

  constructor(rpcUrl: string, signer: SignerClient, hotKeyId: string) {
    this.#rpcUrl = rpcUrl;
    this.#hot = new RemoteTezosSigner(signer, hotKeyId);
    this.#signer = signer;
    this.#hotKeyId = hotKeyId;
    this.#reader = new TezosToolkit(rpcUrl);
  }

  async hotAddress(): Promise<string> {
    this.#hotAddress ??= await this.#hot.publicKeyHash();
    return this.#hotAddress;
  }

  async sign(intent: TezosIntent, authorization?: unknown): Promise<SignedTezosOperation> {
    // A toolkit per operation: Taquito caches counters and signer state per toolkit.
    const tezos = new TezosToolkit(this.#rpcUrl);
    // The policy authorization travels with this operation's signature request only.
    const hot =
      authorization === undefined
        ? this.#hot
        : new RemoteTezosSigner(this.#signer, this.#hotKeyId, authorization);
    tezos.setSignerProvider(new TaquitoSignerAdapter(new CapturingSigner(hot)));
    const client = new DelegationClient(tezos);
    const signedAtLevel = (await this.#reader.rpc.getBlockHeader()).level;
    try {
      if (intent.kind === "originate") await client.originate({ cold: intent.cold, hot: intent.hot });
      else await client.setDelegate(intent.contract, intent.baker);
    } catch (error) {
      if (error instanceof SignatureCaptured) {
        return {
          forgedBytes: error.forgedBytes,
          signature: error.signature,
          opHash: encodeOpHash(error.forgedBytes + error.signature),
          signedAtLevel,
        };
      }
      if (error instanceof OperationFailedError) throw new TezosRefusalError(reasonOf(error));
      throw error;
    }
    throw new Error("Taquito finished without asking the hot signer for a signature");
  }

  async inject(op: { forgedBytes: string; signature: string }): Promise<string> {
    try {
      return await this.#reader.rpc.injectOperation(op.forgedBytes + op.signature);
    } catch (error) {
      const body = (error as { body?: unknown }).body;
      if (typeof body === "string" && body.trim().startsWith("[")) {
        const errors = JSON.parse(body) as { id: string }[];
        throw new TezosRefusalError(`node refused injection: ${errors.map((e) => e.id).join(", ")}`);
      }
      throw error;
    }
  }

  async findInclusion(opHash: string, fromLevel: number): Promise<TezosInclusion | null> {
    const head = (await this.#reader.rpc.getBlockHeader()).level;
    for (let level = fromLevel + 1; level <= head; level++) {
      const block = await this.#reader.rpc.getBlock({ block: String(level) });
      const op = block.operations.flat().find((o) => o.hash === opHash);
      if (!op) continue;
      const results = (op.contents as unknown as ContentLike[]).flatMap((c) => [
        ...(c.metadata?.operation_result ? [c.metadata.operation_result] : []),
        ...(c.metadata?.internal_operation_results ?? []).map((i) => i.result),
      ]);
      const errors = results.flatMap((r) => r.errors ?? []);
      const failwith = errors.map((e) => e.with?.string).find((s) => typeof s === "string");
      return {
        level,
        applied: results.every((r) => r.status === undefined || r.status === "applied"),
        errors: [...(failwith ? [failwith] : []), ...errors.map((e) => e.id)],
        originated: results.flatMap((r) => r.originated_contracts ?? []),
      };
    }
    return null;
  }

  /** The protocol's operation time to live in blocks, read once from the node's constants. */
  async maxOperationsTtl(): Promise<number> {
    this.#ttl ??= Number((await this.#reader.rpc.getConstants()).max_operations_time_to_live);
    return this.#ttl;
  }

  /** The head level (indexer read). */
  async headLevel(): Promise<number> {
    return (await this.#reader.rpc.getBlockHeader()).level;
  }

  /** The hash of the block at `level`, or null when there is none (indexer reorg check). */
  async blockHashAt(level: number): Promise<string | null> {
    try {
      return (await this.#reader.rpc.getBlockHeader({ block: String(level) })).hash;
    } catch (error) {
      if ((error as { status?: number }).status === 404) return null;
      throw error;
    }
  }

  /** The block at `level` with its operations and receipts (indexer read). */
  async blockAt(level: number): Promise<TezosBlockLike> {
    return (await this.#reader.rpc.getBlock({ block: String(level) })) as unknown as TezosBlockLike;
  }

  contractStatus(kt1: string): Promise<DelegationStatus> {
    return new DelegationClient(this.#reader).status(kt1);
  }
}

/** The contract's FAILWITH string when there is one, else the node's error ids. */
function reasonOf(error: OperationFailedError): string {
  return error.failwith ?? error.errors.map((e) => e.id).join(", ");
}
