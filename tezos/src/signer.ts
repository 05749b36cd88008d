/**
 * Signing seam of the Tezos client. `HotSigner` is the narrow interface the HSM-backed hot
 * signer implements later; `TaquitoSignerAdapter` makes any `HotSigner` usable as Taquito's
 * `Signer`; `SoftwareEd25519Signer` is the in-process implementation used until then (and in
 * tests).
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { blake2b } from "@noble/hashes/blake2.js";
import { PrefixV2, b58DecodeAndCheckPrefix, b58Encode, buf2hex, getPkhfromPk, hex2buf } from "@taquito/utils";
import { InvalidInputError, WrongKeyTypeError } from "./errors.js";

/** Watermark of manager operations (Taquito's "generic" magic byte). */
export const GENERIC_WATERMARK = Uint8Array.of(0x03);

/**
 * What a hot signer must provide. It receives the full operation bytes and the watermark (not
 * a digest) so that it can decode and police what it signs.
 */
export interface HotSigner {
  /** Base58 public key (`edpk...`). */
  publicKey(): Promise<string>;
  /** Base58 key hash (`tz1...`). */
  publicKeyHash(): Promise<string>;
  /** Raw 64-byte Ed25519 signature of blake2b-256(watermark || bytes). */
  sign(bytes: Uint8Array, watermark: Uint8Array): Promise<Uint8Array>;
}

/** The result Taquito's `Signer.sign` returns. */
export interface TaquitoSignResult {
  bytes: string;
  sig: string;
  prefixSig: string;
  sbytes: string;
}

/** Structurally Taquito's `Signer` interface (`@taquito/core`). */
export interface TaquitoSigner {
  sign(op: string, magicByte?: Uint8Array): Promise<TaquitoSignResult>;
  publicKey(): Promise<string>;
  publicKeyHash(): Promise<string>;
  secretKey(): Promise<string | undefined>;
}

/** The digest Tezos signs: blake2b-256 of the watermark followed by the bytes. */
export function signingDigest(bytes: Uint8Array, watermark: Uint8Array = GENERIC_WATERMARK): Uint8Array {
  const payload = new Uint8Array(watermark.length + bytes.length);
  payload.set(watermark);
  payload.set(bytes, watermark.length);
  return blake2b(payload, { dkLen: 32 });
}

/**
 * Presents a {@link HotSigner} to Taquito (`tezos.setSignerProvider(new TaquitoSignerAdapter(s))`).
 * It never exposes a secret key.
 */
export class TaquitoSignerAdapter implements TaquitoSigner {
  constructor(readonly hot: HotSigner) {}

  async sign(op: string, magicByte?: Uint8Array): Promise<TaquitoSignResult> {
    const bytes = hex2buf(op.startsWith("0x") ? op.slice(2) : op);
    const signature = await this.hot.sign(bytes, magicByte ?? new Uint8Array(0));
    // Same shapes as Taquito's InMemorySigner: generic `sig…`, curve-specific `edsig…`, and
    // the operation bytes followed by the raw signature.
    return {
      bytes: op,
      sig: b58Encode(signature, PrefixV2.GenericSignature),
      prefixSig: b58Encode(signature, PrefixV2.Ed25519Signature),
      sbytes: op + buf2hex(signature),
    };
  }

  publicKey(): Promise<string> {
    return this.hot.publicKey();
  }

  publicKeyHash(): Promise<string> {
    return this.hot.publicKeyHash();
  }

  async secretKey(): Promise<undefined> {
    return undefined;
  }
}

/**
 * An Ed25519 key held in process memory. Stand-in for the HSM signer and for the offline
 * toolkit in tests. JavaScript cannot zeroise memory; keep these keys for tests and sandboxes.
 */
export class SoftwareEd25519Signer implements HotSigner {
  readonly #seed: Uint8Array;
  readonly #publicKey: Uint8Array;

  /**
   * @param seed 32-byte Ed25519 seed.
   * @throws {InvalidInputError} when the seed is not 32 bytes.
   */
  constructor(seed: Uint8Array) {
    if (!(seed instanceof Uint8Array) || seed.length !== 32) {
      throw new InvalidInputError(
        "seed",
        seed instanceof Uint8Array ? `${seed.length} bytes` : typeof seed,
        "expected 32 bytes",
      );
    }
    this.#seed = Uint8Array.from(seed);
    this.#publicKey = ed25519.getPublicKey(this.#seed);
  }

  /** A fresh random key (OS CSPRNG). */
  static generate(): SoftwareEd25519Signer {
    return new SoftwareEd25519Signer(ed25519.utils.randomSecretKey());
  }

  /**
   * From a base58 `edsk` secret (32-byte seed form or 64-byte seed+public key form).
   *
   * @throws {WrongKeyTypeError} for a non-Ed25519 secret key.
   */
  static fromSecretKey(edsk: string): SoftwareEd25519Signer {
    if (typeof edsk !== "string" || !edsk.startsWith("edsk")) {
      throw new WrongKeyTypeError("secretKey", "(redacted)", "expected an Ed25519 edsk secret key");
    }
    const [bytes] = b58DecodeAndCheckPrefix(edsk, [PrefixV2.Ed25519Seed, PrefixV2.Ed25519SecretKey]);
    return new SoftwareEd25519Signer(bytes.slice(0, 32));
  }

  /** The seed in `edsk` form. Only for printing sandbox test fixtures. */
  exportSecretKey(): string {
    return b58Encode(this.#seed, PrefixV2.Ed25519Seed);
  }

  async publicKey(): Promise<string> {
    return b58Encode(this.#publicKey, PrefixV2.Ed25519PublicKey);
  }

  async publicKeyHash(): Promise<string> {
    return getPkhfromPk(await this.publicKey());
  }

  /** Synchronous signature over blake2b-256(watermark || bytes). */
  signSync(bytes: Uint8Array, watermark: Uint8Array = GENERIC_WATERMARK): Uint8Array {
    return ed25519.sign(signingDigest(bytes, watermark), this.#seed);
  }

  async sign(bytes: Uint8Array, watermark: Uint8Array): Promise<Uint8Array> {
    return this.signSync(bytes, watermark);
  }
}
