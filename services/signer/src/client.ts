/**
 * What the API service uses to reach the hot signer over HTTP: a typed JSON client, an
 * ethers-compatible `Signer` for EVM keys and a Tezos `HotSigner` (wrap it in Taquito's adapter
 * from `tezos/src`). None of them ever holds key material.
 */
import { AbstractSigner, Transaction, copyRequest, getAddress, resolveAddress } from "ethers";
import type { Provider, TransactionLike, TransactionRequest, TypedDataDomain, TypedDataField } from "ethers";
import { PrefixV2, b58DecodeAndCheckPrefix, buf2hex } from "@taquito/utils";
import type { HotSigner } from "../../../tezos/src/signer.js";
import { TaquitoSignerAdapter } from "../../../tezos/src/signer.js";
import type { PublicKeyView } from "./signer.js";

function present<T>(v: T | null | undefined): v is T {
  return v !== null && v !== undefined;
}

/** An error answered by the signer (or a transport failure, with `status` 0). */
export class SignerClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = "SignerClientError";
  }
}

/** One answer of {@link SignerClient.signEvmBatch}, in the order the transactions were given. */
export type EvmBatchResult =
  | {
      readonly ok: true;
      readonly signedTransaction: string;
      readonly hash: string;
      readonly intent: Record<string, unknown>;
    }
  | { readonly ok: false; readonly error: SignerClientError };

/** Most transactions the signer takes in one batch call; longer runs are sent as several calls. */
export const EVM_BATCH_LIMIT = 128;

interface WireError {
  code: string;
  message: string;
  field?: string;
  reason?: string;
  status?: number;
}

/** Options of {@link SignerClient}. */
export interface SignerClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:7001`. */
  readonly url: string;
  readonly token: string;
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number;
}

/**
 * Typed JSON client of the signer API.
 *
 * @example const client = new SignerClient({ url: "http://127.0.0.1:7001", token });
 */
export class SignerClient {
  readonly #url: string;
  readonly #token: string;
  readonly #timeoutMs: number;

  constructor(opts: SignerClientOptions) {
    this.#url = opts.url.replace(/\/$/, "");
    this.#token = opts.token;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async #call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.#url + path, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new SignerClientError(
        0,
        "SIGNER_UNREACHABLE",
        `signer at ${this.#url} unreachable: ${(err as Error).message}`,
      );
    }
    const json = (await res.json().catch(() => ({}))) as {
      error?: { code: string; message: string; field?: string; reason?: string };
    };
    if (!res.ok) {
      const e = json.error ?? { code: "SIGNER_HTTP_ERROR", message: `HTTP ${res.status}` };
      throw new SignerClientError(res.status, e.code, e.message, e.field, e.reason);
    }
    return json as T;
  }

  /** `GET /health`. */
  health(): Promise<{ status: string; backend: string; keys: number }> {
    return this.#call("GET", "/health");
  }

  /** `GET /v1/keys`. */
  async keys(): Promise<PublicKeyView[]> {
    return (await this.#call<{ keys: PublicKeyView[] }>("GET", "/v1/keys")).keys;
  }

  /** `POST /v1/sign/evm`: raw unsigned EIP-1559 bytes in, signed transaction out. */
  signEvm(
    keyId: string,
    unsignedTx: string,
    authorization?: unknown,
  ): Promise<{ signedTx: string; hash: string; intent: Record<string, unknown> }> {
    return this.#call("POST", "/v1/sign/evm", {
      keyId,
      unsignedTx,
      ...(authorization !== undefined && authorization !== null ? { authorization } : {}),
    });
  }

  /**
   * `POST /v1/sign/evm/batch`: many unsigned EIP-1559 transactions of one key, each checked by
   * the signer's allowlist, fee and nonce rules as {@link signEvm} would, answered in order. A
   * refused item is `{ ok: false, error }` (the same codes and reasons as a single call) and makes
   * later items at following nonces gaps. More than {@link EVM_BATCH_LIMIT} are sent as several
   * calls, in order.
   *
   * @throws {SignerClientError} when the whole call fails (transport, token, unknown key).
   * @example
   * const results = await client.signEvmBatch("evm-hot", [tx5, tx6]);
   * for (const r of results) if (r.ok) await chain.sendRawTransaction(r.signedTransaction);
   */
  async signEvmBatch(
    keyId: string,
    unsignedTxs: readonly string[],
    authorizations?: readonly unknown[],
  ): Promise<EvmBatchResult[]> {
    const out: EvmBatchResult[] = [];
    for (let i = 0; i < unsignedTxs.length; i += EVM_BATCH_LIMIT) {
      const chunk = unsignedTxs.slice(i, i + EVM_BATCH_LIMIT);
      const auths = authorizations?.slice(i, i + EVM_BATCH_LIMIT).map((a) => a ?? null);
      const { results } = await this.#call<{
        results: (
          | { ok: true; signedTransaction: string; hash: string; intent: Record<string, unknown> }
          | { ok: false; error: WireError }
        )[];
      }>("POST", "/v1/sign/evm/batch", {
        keyId,
        unsignedTxs: chunk,
        ...(auths ? { authorizations: auths } : {}),
      });
      if (!Array.isArray(results) || results.length !== chunk.length) {
        throw new SignerClientError(
          0,
          "SIGNER_BAD_BATCH_ANSWER",
          `the signer answered ${Array.isArray(results) ? results.length : "no"} results for ${chunk.length} transactions`,
        );
      }
      for (const r of results) {
        out.push(
          r.ok
            ? { ok: true, signedTransaction: r.signedTransaction, hash: r.hash, intent: r.intent }
            : {
                ok: false,
                error: new SignerClientError(
                  r.error.status ?? 403,
                  r.error.code,
                  r.error.message,
                  r.error.field,
                  r.error.reason,
                ),
              },
        );
      }
    }
    return out;
  }

  /** `POST /v1/sign/tezos`: forged operation bytes in, `edsig` and signed bytes out. */
  signTezos(
    keyId: string,
    forgedBytes: string,
    authorization?: unknown,
  ): Promise<{ signature: string; signedBytes: string; originated: string[] }> {
    return this.#call("POST", "/v1/sign/tezos", {
      keyId,
      forgedBytes,
      ...(authorization !== undefined && authorization !== null ? { authorization } : {}),
    });
  }

  /** `POST /v1/policy/chain`: pushes the activated policy chain; the signer verifies it to its genesis. */
  async pushPolicyChain(versions: readonly unknown[]): Promise<{ policyHash: string; version: number }> {
    return (
      await this.#call<{ active: { policyHash: string; version: number } }>("POST", "/v1/policy/chain", {
        versions,
      })
    ).active;
  }

  /** `GET /v1/policy`: the active policy the signer holds (`null` none, `"off"` enforcement off). */
  async policy(): Promise<{ policyHash: string; version: number } | null | "off"> {
    return (
      await this.#call<{ active: { policyHash: string; version: number } | null | "off" }>(
        "GET",
        "/v1/policy",
      )
    ).active;
  }

  /** `POST /v1/evm/nonce`: sets the next nonce (from the chain when `nonce` is omitted and the signer has an RPC URL). */
  async resyncNonce(keyId: string, nonce?: bigint): Promise<PublicKeyView> {
    const body = nonce === undefined ? { keyId } : { keyId, nonce: nonce.toString() };
    return (await this.#call<{ key: PublicKeyView }>("POST", "/v1/evm/nonce", body)).key;
  }

  /** The public view of one key. */
  async key(keyId: string): Promise<PublicKeyView> {
    const key = (await this.keys()).find((k) => k.keyId === keyId);
    if (key === undefined)
      throw new SignerClientError(404, "SIGNER_UNKNOWN_KEY", `no key with id ${keyId}`, "keyId");
    return key;
  }
}

/**
 * An ethers v6 `Signer` whose transactions are signed by the hot signer. It only signs
 * transactions (EIP-1559); message and typed-data signatures are refused locally, because the
 * hot signer never signs them.
 *
 * @example const hot = new RemoteEvmSigner(client, "evm-hot", provider); await proxy.connect(hot).lock(wad);
 */
export class RemoteEvmSigner extends AbstractSigner {
  readonly #client: SignerClient;
  readonly #keyId: string;
  #address: string | undefined;

  constructor(client: SignerClient, keyId: string, provider: Provider | null = null) {
    super(provider);
    this.#client = client;
    this.#keyId = keyId;
  }

  async getAddress(): Promise<string> {
    this.#address ??= getAddress((await this.#client.key(this.#keyId)).address);
    return this.#address;
  }

  connect(provider: Provider | null): RemoteEvmSigner {
    return new RemoteEvmSigner(this.#client, this.#keyId, provider);
  }

  async signTransaction(request: TransactionRequest): Promise<string> {
    const from = await this.getAddress();
    if (present(request.from) && getAddress(await resolveAddress(request.from, this.provider)) !== from) {
      throw new SignerClientError(
        0,
        "SIGNER_WRONG_FROM",
        `transaction from ${String(request.from)} is not ${from}`,
        "from",
      );
    }
    // copyRequest reads fields through property access, so it works for plain requests and for
    // the Transaction objects ethers' sendTransaction passes (whose fields are getters).
    const r = copyRequest(request);
    const to = present(r.to) ? await resolveAddress(r.to, this.provider) : null;
    const fields: TransactionLike<string> = {
      type: 2,
      to,
      data: r.data ?? "0x",
      value: r.value ?? 0n,
      accessList: r.accessList ?? [],
      ...(present(r.chainId) ? { chainId: r.chainId } : {}),
      ...(present(r.nonce) ? { nonce: r.nonce } : {}),
      ...(present(r.gasLimit) ? { gasLimit: r.gasLimit } : {}),
      ...(present(r.maxFeePerGas) ? { maxFeePerGas: r.maxFeePerGas } : {}),
      ...(present(r.maxPriorityFeePerGas) ? { maxPriorityFeePerGas: r.maxPriorityFeePerGas } : {}),
    };
    const tx = Transaction.from(fields);
    const { signedTx } = await this.#client.signEvm(this.#keyId, tx.unsignedSerialized);
    return signedTx;
  }

  async signMessage(): Promise<string> {
    throw new SignerClientError(0, "SIGNER_UNSUPPORTED", "the hot signer signs transactions only");
  }

  async signTypedData(
    _domain: TypedDataDomain,
    _types: Record<string, TypedDataField[]>,
    _value: Record<string, unknown>,
  ): Promise<string> {
    throw new SignerClientError(0, "SIGNER_UNSUPPORTED", "the hot signer signs transactions only");
  }
}

/**
 * A Tezos {@link HotSigner} backed by the signer process (tz1 keys, watermark 0x03 only).
 *
 * @example tezos.setSignerProvider(new TaquitoSignerAdapter(new RemoteTezosSigner(client, "tezos-hot")));
 */
export class RemoteTezosSigner implements HotSigner {
  readonly #client: SignerClient;
  readonly #keyId: string;
  readonly #authorization: unknown;
  #key: PublicKeyView | undefined;

  /** `authorization`: the policy authorization sent with every signature this instance asks for. */
  constructor(client: SignerClient, keyId: string, authorization?: unknown) {
    this.#client = client;
    this.#keyId = keyId;
    this.#authorization = authorization;
  }

  async #view(): Promise<PublicKeyView> {
    this.#key ??= await this.#client.key(this.#keyId);
    return this.#key;
  }

  async publicKey(): Promise<string> {
    return (await this.#view()).publicKey;
  }

  async publicKeyHash(): Promise<string> {
    return (await this.#view()).address;
  }

  async sign(bytes: Uint8Array, watermark: Uint8Array): Promise<Uint8Array> {
    // The signer only ever signs manager operations; block or endorsement watermarks are refused here.
    if (watermark.length !== 1 || watermark[0] !== 0x03) {
      throw new SignerClientError(
        0,
        "SIGNER_WATERMARK",
        `watermark ${buf2hex(watermark)} is not 03 (manager operation)`,
        "watermark",
      );
    }
    const { signature } = await this.#client.signTezos(this.#keyId, buf2hex(bytes), this.#authorization);
    const [raw] = b58DecodeAndCheckPrefix(signature, [PrefixV2.Ed25519Signature]);
    return raw;
  }
}

/** Taquito `Signer` over the remote signer: `tezos.setSignerProvider(remoteTaquitoSigner(client, "tezos-hot"))`. */
export function remoteTaquitoSigner(client: SignerClient, keyId: string): TaquitoSignerAdapter {
  return new TaquitoSignerAdapter(new RemoteTezosSigner(client, keyId));
}
