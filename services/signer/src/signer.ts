/**
 * The signing core: policy first, then the key backend, then durable state (nonce, learned
 * contracts, audit) before any signature is released. A refused request changes nothing but
 * the audit log.
 */
import { getAddress, getBytes } from "ethers";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { PrefixV2, b58Encode, getPkhfromPk } from "@taquito/utils";
import { InvalidInputError, PolicyRefusedError, SignerError, WrongKeyTypeError } from "./errors.js";
import { checkEvmTransaction } from "./allowlist/evm.js";
import type { EvmDecision, EvmIntent, EvmPolicyConfig } from "./allowlist/evm.js";
import { checkTezosOperation, originatedAddress } from "./allowlist/tezos.js";
import type { TezosIntent, TezosPolicyConfig } from "./allowlist/tezos.js";
import { checkRecoverable, evmAddressOf, toRecoverable } from "./keys/secp256k1.js";
import { signedEip1559 } from "./keys/eip1559-signed.js";
import type { Curve, KeyBackend, KeyInfo } from "./keys/backend.js";
import type { AuditLog, AuditRecord } from "./state/audit.js";
import type { KnownContracts } from "./state/known-contracts.js";
import type { NonceStore } from "./state/nonces.js";
import type { SignedAtNonceStore } from "./state/signed-at-nonce.js";
import type { SignedAtNonce } from "./allowlist/evm-replacement.js";
import type { PolicyGate } from "./policy/gate.js";

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
  /**
   * What was last signed at each recent nonce, which makes fee-bump replacements possible
   * (decision 0963). Without it (allowlist unit tests) every used nonce is refused as a replay;
   * `buildCore` always installs it.
   */
  readonly signed?: SignedAtNonceStore;
  readonly known: KnownContracts;
  readonly audit: AuditLog;
  /**
   * The policy gate (quorum-activated policy, approvals). Absent only in unit tests of the
   * allowlist; `buildCore` always installs it unless SIGNER_POLICY_ENFORCEMENT=off.
   */
  readonly policy?: PolicyGate;
}

/** Result of an EVM signature. */
export interface EvmSignResult {
  readonly signedTx: string;
  readonly hash: string;
  readonly intent: EvmIntent;
}

/** One item of {@link HotSignerCore.signEvmBatch}: its signature, or why it was refused. */
export type EvmBatchOutcome =
  | ({ readonly ok: true } & EvmSignResult)
  | { readonly ok: false; readonly error: SignerError };

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

  #refused(chain: "evm" | "tezos" | "policy", keyId: string, digest: Uint8Array | null, err: unknown): void {
    if (!(err instanceof SignerError)) return;
    this.#deps.audit.append(refusalRecord(chain, keyId, digest, err));
  }

  /**
   * Signs an unsigned EIP-1559 transaction if, and only if, the EVM allowlist accepts it: at the
   * next expected nonce, or at a used one as a fee-bump replacement of what was last signed there
   * (decision 0963; the next expected nonce then stays where it is).
   *
   * @throws {PolicyRefusedError} (logged) for anything outside the allowlist.
   * @throws {InvalidInputError} / {UnknownKeyError} / {WrongKeyTypeError} for bad requests.
   */
  async signEvm(keyId: string, unsignedTx: string, authorization?: unknown): Promise<EvmSignResult> {
    return this.#serial(`key:${keyId}`, async () => {
      // A request refused before its key is resolved logs no digest.
      let keyed = false;
      try {
        const info = await this.#key(keyId, "secp256k1");
        keyed = true;
        const signer = getAddress(evmAddressOf(info.publicKey));
        const chainId = this.#deps.evm.chainId;
        const decision = checkEvmTransaction(unsignedTx, this.#deps.evm, {
          signer,
          expectedNonce: this.#deps.nonces.get(chainId, signer),
          knownProxy: (a) => this.#deps.known.hotOf(a),
          signedAt: (n) => this.#deps.signed?.get(chainId, signer, n),
        });
        // A replacement carries the same binding: the policy gate judges it like the original.
        this.#checkPolicy(authorization, decision.intent, `evm:${signer}:${decision.nonce}`);
        const tx = await this.#signDecision(keyId, info, decision);
        // State first, signature second: a crash in between costs a nonce, never a double spend.
        this.#learnIfOrigination(decision.intent);
        this.#deps.signed?.record(chainId, signer, [decision.record]);
        if (!decision.replacement) this.#deps.nonces.set(chainId, signer, decision.nonce + 1n);
        this.#deps.audit.append(signedRecordOf(keyId, decision.digest, decision.intent, decision.record));
        return { ...tx, intent: decision.intent };
      } catch (err) {
        this.#refused("evm", keyId, keyed ? refusedDigest(unsignedTx) : null, err);
        throw err;
      }
    });
  }

  /**
   * Signs a run of unsigned EIP-1559 transactions for one key, in order, each checked by the same
   * allowlist, fee and nonce rules as {@link signEvm} (the expected nonce advances past every
   * signed item, so a refused item makes the next ones gaps; a replacement at a used nonce, even of
   * an item earlier in the batch, does not move it). The nonce journal and the audit log
   * are each written once (one fsync) for the whole batch, before any signature is released; a
   * crash before that releases nothing and leaves the journal where it was.
   *
   * @throws {InvalidInputError} / {UnknownKeyError} / {WrongKeyTypeError} for a bad key (nothing signed).
   */
  async signEvmBatch(
    keyId: string,
    unsignedTxs: readonly string[],
    authorizations?: readonly unknown[],
  ): Promise<EvmBatchOutcome[]> {
    return this.#serial(`key:${keyId}`, async () => {
      const info = await this.#key(keyId, "secp256k1").catch((err: unknown) => {
        this.#refused("evm", keyId, null, err);
        throw err;
      });
      const signer = getAddress(evmAddressOf(info.publicKey));
      const chainId = this.#deps.evm.chainId;
      const startNonce = this.#deps.nonces.get(chainId, signer);
      let expectedNonce = startNonce;
      // Signed earlier in this batch, not yet journaled: a later item may replace one of them.
      const staged = new Map<bigint, SignedAtNonce>();
      const outcomes: EvmBatchOutcome[] = [];
      const records: Omit<AuditRecord, "prev" | "time">[] = [];
      for (const [index, unsignedTx] of unsignedTxs.entries()) {
        try {
          const decision = checkEvmTransaction(unsignedTx, this.#deps.evm, {
            signer,
            expectedNonce,
            knownProxy: (a) => this.#deps.known.hotOf(a),
            // Without a journal there are no replacements, not even of items of this batch.
            ...(this.#deps.signed !== undefined
              ? { signedAt: (n: bigint) => staged.get(n) ?? this.#deps.signed?.get(chainId, signer, n) }
              : {}),
          });
          this.#checkPolicy(authorizations?.[index], decision.intent, `evm:${signer}:${decision.nonce}`);
          const tx = await this.#signDecision(keyId, info, decision);
          // A proxy originated earlier in the batch may be called later in it, as one by one.
          this.#learnIfOrigination(decision.intent);
          staged.set(decision.nonce, decision.record);
          if (!decision.replacement) expectedNonce = decision.nonce + 1n;
          records.push(signedRecordOf(keyId, decision.digest, decision.intent, decision.record));
          outcomes.push({ ok: true, ...tx, intent: decision.intent });
        } catch (err) {
          // Anything but a refusal of this item (backend failure, bug) aborts the whole batch:
          // nothing is released and the journal stays where it was.
          if (!(err instanceof SignerError) || err.status >= 500) throw err;
          records.push(refusalRecord("evm", keyId, refusedDigest(unsignedTx), err));
          outcomes.push({ ok: false, error: err });
        }
      }
      // State first, signatures second, as for one transaction.
      this.#deps.signed?.record(chainId, signer, [...staged.values()]);
      if (expectedNonce !== startNonce && expectedNonce !== undefined)
        this.#deps.nonces.set(chainId, signer, expectedNonce);
      this.#deps.audit.appendMany(records);
      return outcomes;
    });
  }

  #checkPolicy(authorization: unknown, intent: EvmIntent, binding: string): void {
    this.#deps.policy?.check(authorization, {
      chain: "ethereum",
      chainId: this.#deps.evm.chainId,
      intent,
      binding,
    });
  }

  async #signDecision(
    keyId: string,
    info: KeyInfo,
    decision: EvmDecision,
  ): Promise<{ signedTx: string; hash: string }> {
    // One (known bit) or up to two (HSM) checks against the known key prove the signature is its.
    const backend = this.#deps.backend;
    const { r, s, yParity } =
      backend.signDigestRecoverable !== undefined
        ? await backend
            .signDigestRecoverable(keyId, decision.digest)
            .then(({ rs, recovery }) => checkRecoverable(rs, decision.digest, info.publicKey, recovery))
        : toRecoverable(await backend.signDigest(keyId, decision.digest), decision.digest, info.publicKey);
    // The checked unsigned bytes with the signature appended (decision 1043); the transaction hash
    // is the keccak256 of exactly these bytes.
    const signed = signedEip1559(decision.unsigned, yParity, r, s);
    return { signedTx: "0x" + bytesToHex(signed), hash: "0x" + bytesToHex(keccak_256(signed)) };
  }

  #learnIfOrigination(intent: EvmIntent): void {
    if (intent.kind !== "createProxy") return;
    this.#deps.known.learn({
      chain: "evm",
      address: intent.proxy,
      hot: intent.hot,
      cold: intent.cold,
      customerId: intent.customerId,
      factory: intent.factory,
      learnedAt: new Date().toISOString(),
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
  async signTezos(keyId: string, forgedBytes: string, authorization?: unknown): Promise<TezosSignResult> {
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
        // Re-signing the same approved payload (a re-forged retry) is the same transaction.
        this.#deps.policy?.check(authorization, {
          chain: "tezos",
          intents: decision.intents,
          binding: `tezos:${pkh}`,
        });
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

  /**
   * Accepts a pushed policy chain (verified back to the pinned genesis; never a rollback).
   *
   * @throws {PolicyRefusedError} `POLICY_ENFORCEMENT_OFF` when the gate is off, else see PolicyGate.accept.
   */
  acceptPolicyChain(versions: unknown): { policyHash: string; version: number } {
    const gate = this.#deps.policy;
    if (gate === undefined) {
      throw new PolicyRefusedError("POLICY_ENFORCEMENT_OFF", "policy enforcement is off on this signer");
    }
    try {
      const accepted = gate.accept(versions as Parameters<PolicyGate["accept"]>[0]);
      this.#deps.audit.append({
        outcome: "signed",
        chain: "policy",
        keyId: "-",
        digest: accepted.policyHash,
        intent: `policy-activated:v${accepted.version}`,
      });
      return accepted;
    } catch (err) {
      this.#refused("policy", "-", null, err);
      throw err;
    }
  }

  /** The active policy the gate holds (`null` when none), or `"off"` when enforcement is off. */
  get policyStatus(): { readonly policyHash: string; readonly version: number } | null | "off" {
    return this.#deps.policy === undefined ? "off" : this.#deps.policy.active;
  }

  /** Releases the backend. */
  async close(): Promise<void> {
    await this.#deps.backend.close();
  }
}

function refusalRecord(
  chain: "evm" | "tezos" | "policy",
  keyId: string,
  digest: Uint8Array | null,
  err: SignerError,
): Omit<AuditRecord, "prev" | "time"> {
  return {
    outcome: "refused",
    chain,
    keyId,
    digest: digest === null ? null : bytesToHex(digest),
    reason: "reason" in err ? String(err.reason) : err.code,
    message: err.message,
  };
}

function signedRecordOf(
  keyId: string,
  digest: Uint8Array,
  intent: EvmIntent,
  record: SignedAtNonce,
): Omit<AuditRecord, "prev" | "time"> {
  return {
    outcome: "signed",
    chain: "evm",
    keyId,
    digest: bytesToHex(digest),
    intent: stringifyIntent(intent),
    ...(record.replacements > 0
      ? {
          message:
            `replacement ${record.replacements} at nonce ${record.nonce}: maxFeePerGas ${record.maxFeePerGas}, ` +
            `maxPriorityFeePerGas ${record.maxPriorityFeePerGas}`,
        }
      : {}),
  };
}

/**
 * What a refusal logs as the digest: keccak256 of the raw bytes (the signing hash of a canonical
 * type-2 transaction), or null for a request that is not hex bytes at all.
 */
function refusedDigest(unsignedTx: unknown): Uint8Array | null {
  return typeof unsignedTx === "string" && /^0x([0-9a-fA-F]{2})+$/.test(unsignedTx)
    ? keccak_256(getBytes(unsignedTx))
    : null;
}
