/**
 * The signing core: policy first, then the key backend, then durable state (nonce, learned
 * contracts, audit) before any signature is released. A refused request changes nothing but
 * the audit log.
 */
import { Signature, getAddress, getBytes } from "ethers";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { PrefixV2, b58Encode, getPkhfromPk } from "@taquito/utils";
import { InvalidInputError, SignerError, WrongKeyTypeError } from "./errors.js";
import { checkEvmTransaction } from "./allowlist/evm.js";
import type { EvmIntent, EvmPolicyConfig } from "./allowlist/evm.js";
import { checkTezosOperation, originatedAddress } from "./allowlist/tezos.js";
import type { TezosIntent, TezosPolicyConfig } from "./allowlist/tezos.js";
import { checkRecoverable, evmAddressOf, toRecoverable } from "./keys/secp256k1.js";
import type { Curve, KeyBackend, KeyInfo } from "./keys/backend.js";
import type { AuditLog } from "./state/audit.js";
import type { KnownContracts } from "./state/known-contracts.js";
import type { NonceStore } from "./state/nonces.js";

/** Public view of a key, as `GET /v1/keys` shows it. */
export interface PublicKeyView {
  readonly keyId: string;
  readonly curve: Curve;
  readonly publicKey: string;
  /** EVM checksummed address or tz1. */
  readonly address: string;
  /** secp256k1 only: the next nonce the signer will sign at, when synced. */
  readonly nextNonce?: string;
}

/** Everything the core needs, injected so tests can build it in memory and on temp dirs. */
export interface SignerDeps {
  readonly backend: KeyBackend;
  readonly evm: EvmPolicyConfig;
  readonly tezos: TezosPolicyConfig;
  readonly nonces: NonceStore;
  readonly known: KnownContracts;
  readonly audit: AuditLog;
}

/** Result of an EVM signature. */
export interface EvmSignResult {
  readonly signedTx: string;
  readonly hash: string;
  readonly intent: EvmIntent;
}

/** Result of a Tezos signature. */
export interface TezosSignResult {
  readonly signature: string;
  readonly signedBytes: string;
  readonly intents: readonly TezosIntent[];
  /** KT1 addresses of delegation contracts this operation originates. */
  readonly originated: readonly string[];
}

function stringifyIntent(intent: unknown): string {
  return JSON.stringify(intent, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** The hot signer's decision-making core. */
export class HotSignerCore {
  readonly #deps: SignerDeps;
  // One request per key at a time: the nonce check and its advance must not interleave.
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(deps: SignerDeps) {
    this.#deps = deps;
  }

  /** The backend kind (`sealed`/`pkcs11`). */
  get backendKind(): string {
    return this.#deps.backend.kind;
  }

  async #serial<T>(keyId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(keyId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.#locks.set(keyId, tail);
    try {
      return await run;
    } finally {
      if (this.#locks.get(keyId) === tail) this.#locks.delete(keyId);
    }
  }

  #view(info: KeyInfo): PublicKeyView {
    if (info.curve === "secp256k1") {
      const address = getAddress(evmAddressOf(info.publicKey));
      const next = this.#deps.nonces.get(this.#deps.evm.chainId, address);
      return {
        keyId: info.id,
        curve: info.curve,
        publicKey: "0x" + bytesToHex(info.publicKey),
        address,
        ...(next !== undefined ? { nextNonce: next.toString() } : {}),
      };
    }
    const edpk = b58Encode(info.publicKey, PrefixV2.Ed25519PublicKey);
    return { keyId: info.id, curve: info.curve, publicKey: edpk, address: getPkhfromPk(edpk) };
  }

  /** Every key, public parts only. */
  async listKeys(): Promise<PublicKeyView[]> {
    return (await this.#deps.backend.listKeys()).map((k) => this.#view(k));
  }

  /**
   * Creates the configured keys that do not exist yet. A freshly generated secp256k1 key has
   * never sent a transaction, so its next nonce is 0 on every chain.
   */
  async ensureKeys(wanted: readonly { keyId: string; curve: Curve }[]): Promise<PublicKeyView[]> {
    const existing = new Map((await this.#deps.backend.listKeys()).map((k) => [k.id, k]));
    for (const { keyId, curve } of wanted) {
      const have = existing.get(keyId);
      if (have !== undefined) {
        if (have.curve !== curve) throw new WrongKeyTypeError(keyId, curve, have.curve);
        continue;
      }
      const info = await this.#deps.backend.generateKey(keyId, curve);
      if (curve === "secp256k1")
        this.#deps.nonces.set(this.#deps.evm.chainId, evmAddressOf(info.publicKey), 0n);
    }
    return this.listKeys();
  }

  async #key(keyId: unknown, curve: Curve): Promise<KeyInfo> {
    if (typeof keyId !== "string" || keyId.length === 0)
      throw new InvalidInputError("keyId", String(keyId), "expected a key id");
    const info = await this.#deps.backend.getKey(keyId);
    if (info.curve !== curve) throw new WrongKeyTypeError(keyId, curve, info.curve);
    return info;
  }

  #refused(chain: "evm" | "tezos", keyId: string, digest: Uint8Array | null, err: unknown): void {
    if (!(err instanceof SignerError)) return;
    this.#deps.audit.append({
      outcome: "refused",
      chain,
      keyId,
      digest: digest === null ? null : bytesToHex(digest),
      reason: "reason" in err ? String(err.reason) : err.code,
      message: err.message,
    });
  }

  /**
   * Signs an unsigned EIP-1559 transaction if, and only if, the EVM allowlist accepts it.
   *
   * @throws {PolicyRefusedError} (logged) for anything outside the allowlist.
   * @throws {InvalidInputError} / {UnknownKeyError} / {WrongKeyTypeError} for bad requests.
   */
  async signEvm(keyId: string, unsignedTx: string): Promise<EvmSignResult> {
    return this.#serial(`key:${keyId}`, async () => {
      let digest: Uint8Array | null = null;
      try {
        const info = await this.#key(keyId, "secp256k1");
        const signer = getAddress(evmAddressOf(info.publicKey));
        // keccak256 of the raw bytes is the signing hash of a canonical type-2 transaction.
        if (typeof unsignedTx === "string" && /^0x([0-9a-fA-F]{2})+$/.test(unsignedTx))
          digest = keccak_256(getBytes(unsignedTx));
        const decision = checkEvmTransaction(unsignedTx, this.#deps.evm, {
          signer,
          expectedNonce: this.#deps.nonces.get(this.#deps.evm.chainId, signer),
          knownProxy: (a) => this.#deps.known.hotOf(a),
        });
        // One (known bit) or up to two (HSM) public-key recoveries prove the signature is this key's.
        const backend = this.#deps.backend;
        const { r, s, yParity } =
          backend.signDigestRecoverable !== undefined
            ? await backend
                .signDigestRecoverable(keyId, decision.digest)
                .then(({ rs, recovery }) => checkRecoverable(rs, decision.digest, info.publicKey, recovery))
            : toRecoverable(
                await backend.signDigest(keyId, decision.digest),
                decision.digest,
                info.publicKey,
              );
        const tx = decision.tx.clone();
        tx.signature = Signature.from({ r: toHex32(r), s: toHex32(s), yParity });
        // State first, signature second: a crash in between costs a nonce, never a double spend.
        if (decision.intent.kind === "createProxy") {
          this.#deps.known.learn({
            chain: "evm",
            address: decision.intent.proxy,
            hot: decision.intent.hot,
            cold: decision.intent.cold,
            customerId: decision.intent.customerId,
            factory: decision.intent.factory,
            learnedAt: new Date().toISOString(),
          });
        }
        this.#deps.nonces.set(this.#deps.evm.chainId, signer, decision.nonce + 1n);
        this.#deps.audit.append({
          outcome: "signed",
          chain: "evm",
          keyId,
          digest: bytesToHex(decision.digest),
          intent: stringifyIntent(decision.intent),
        });
        return { signedTx: tx.serialized, hash: tx.hash!, intent: decision.intent };
      } catch (err) {
        this.#refused("evm", keyId, digest, err);
        throw err;
      }
    });
  }

  /**
   * Sets the next expected nonce of an EVM key, e.g. from `eth_getTransactionCount(pending)`.
   *
   * @throws {InvalidInputError} naming `nonce` for a negative or non-integer value.
   */
  async resyncNonce(keyId: string, nonce: bigint): Promise<PublicKeyView> {
    return this.#serial(`key:${keyId}`, async () => {
      const info = await this.#key(keyId, "secp256k1");
      if (typeof nonce !== "bigint" || nonce < 0n)
        throw new InvalidInputError("nonce", String(nonce), "expected a non-negative integer");
      this.#deps.nonces.set(this.#deps.evm.chainId, evmAddressOf(info.publicKey), nonce);
      this.#deps.audit.append({
        outcome: "signed",
        chain: "evm",
        keyId,
        digest: null,
        intent: `nonce-resync:${nonce}`,
      });
      return this.#view(info);
    });
  }

  /**
   * Signs forged Tezos operation bytes (watermark 0x03) if the Tezos allowlist accepts them.
   *
   * @throws {PolicyRefusedError} (logged) for anything outside the allowlist.
   */
  async signTezos(keyId: string, forgedBytes: string): Promise<TezosSignResult> {
    return this.#serial(`key:${keyId}`, async () => {
      let digest: Uint8Array | null = null;
      try {
        const info = await this.#key(keyId, "ed25519");
        const publicKey = b58Encode(info.publicKey, PrefixV2.Ed25519PublicKey);
        const pkh = getPkhfromPk(publicKey);
        const decision = await checkTezosOperation(forgedBytes, this.#deps.tezos, {
          pkh,
          publicKey,
          knownContract: (kt1) => this.#deps.known.hotOf(kt1),
        });
        digest = decision.digest;
        const signature = await this.#deps.backend.signDigest(keyId, decision.digest);
        const originated: string[] = [];
        for (const intent of decision.intents) {
          if (intent.kind !== "originate") continue;
          const address = originatedAddress(decision.bytes, signature, intent.index);
          originated.push(address);
          this.#deps.known.learn({
            chain: "tezos",
            address,
            hot: intent.hot,
            cold: intent.cold,
            learnedAt: new Date().toISOString(),
          });
        }
        this.#deps.audit.append({
          outcome: "signed",
          chain: "tezos",
          keyId,
          digest: bytesToHex(decision.digest),
          intent: stringifyIntent(decision.intents),
        });
        return {
          signature: b58Encode(signature, PrefixV2.Ed25519Signature),
          signedBytes: bytesToHex(decision.bytes) + bytesToHex(signature),
          intents: decision.intents,
          originated,
        };
      } catch (err) {
        this.#refused("tezos", keyId, digest, err);
        throw err;
      }
    });
  }

  /** Releases the backend. */
  async close(): Promise<void> {
    await this.#deps.backend.close();
  }
}

function toHex32(v: bigint): string {
  return "0x" + v.toString(16).padStart(64, "0");
}
