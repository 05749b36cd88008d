/**
 * Sealed key file: hot keys generated with noble, signed with libsecp256k1 (Ed25519 with noble),
 * and kept encrypted at rest with XChaCha20-Poly1305. The encryption key comes from a passphrase
 * (scrypt) or a 32-byte key file (HKDF-SHA256). The header (format, version, KDF parameters, key ids and public keys) is the
 * AEAD's associated data, so changing any of it makes the file refuse to open.
 */
import { existsSync, readFileSync } from "node:fs";
import { createHmac, hkdfSync, randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import {
  InvalidInputError,
  SealedTamperedError,
  SealedWrongSecretError,
  UnknownKeyError,
} from "../errors.js";
import { writeFileAtomic } from "../state/files.js";
import { KEY_ID_PATTERN } from "./backend.js";
import { signCompact, signRecoverable } from "./libsecp256k1.js";
import type { Curve, KeyBackend, KeyInfo } from "./backend.js";

const FORMAT = "coldpath-signer-sealed";
const VERSION = 1;

/** scrypt cost parameters (RFC 7914). */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** Default cost: N = 2^17, r = 8, p = 1 (128 MiB, a few hundred ms once at start-up). */
export const DEFAULT_SCRYPT: ScryptParams = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });

/** Where the sealing key comes from. */
export type SealSecret = { readonly passphrase: string } | { readonly keyFile: string };

type Kdf =
  | { name: "scrypt"; N: number; r: number; p: number; salt: string }
  | { name: "keyfile-hkdf"; salt: string };

interface SealedHeader {
  format: string;
  version: number;
  kdf: Kdf;
  keys: { id: string; curve: Curve; publicKey: string }[];
}

interface SealedFile extends SealedHeader {
  check: string;
  nonce: string;
  ciphertext: string;
}

/** Options of {@link SealedKeyBackend.open}. */
export interface SealedOpenOptions {
  readonly path: string;
  readonly secret: SealSecret;
  /** Create an empty sealed file when none exists (default false). */
  readonly create?: boolean;
  /** Cost for a newly created file (an existing file keeps its own). */
  readonly scrypt?: ScryptParams;
}

function readKeyFile(path: string): Uint8Array {
  const raw = readFileSync(path);
  if (raw.length === 32) return new Uint8Array(raw);
  const text = raw.toString("utf8").trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return hexToBytes(text);
  throw new InvalidInputError(
    "keyFile",
    path,
    `expected 32 raw bytes or 64 hex characters, got ${raw.length} bytes`,
  );
}

function deriveKey(kdf: Kdf, secret: SealSecret): Uint8Array {
  const salt = hexToBytes(kdf.salt);
  if (kdf.name === "scrypt") {
    if (!("passphrase" in secret))
      throw new InvalidInputError("passphrase", "(missing)", "this file is sealed with a passphrase");
    const maxmem = 256 * kdf.N * kdf.r + 1024 * 1024;
    return new Uint8Array(
      scryptSync(secret.passphrase.normalize("NFKC"), salt, 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem }),
    );
  }
  if (!("keyFile" in secret))
    throw new InvalidInputError("keyFile", "(missing)", "this file is sealed with a key file");
  return new Uint8Array(
    hkdfSync("sha256", readKeyFile(secret.keyFile), salt, "coldpath signer sealed v1", 32),
  );
}

// A short MAC of a constant under the derived key tells a wrong secret from a tampered file.
function checkValue(key: Uint8Array): string {
  return createHmac("sha256", key).update("coldpath signer sealed check").digest("hex").slice(0, 32);
}

function publicKeyOf(curve: Curve, secret: Uint8Array): Uint8Array {
  return curve === "secp256k1" ? secp256k1.getPublicKey(secret, false) : ed25519.getPublicKey(secret);
}

/**
 * The embedded default backend. Secrets live in private fields of this object only.
 *
 * @example
 * const keys = await SealedKeyBackend.open({ path, secret: { passphrase }, create: true });
 * await keys.generateKey("evm-hot", "secp256k1");
 */
export class SealedKeyBackend implements KeyBackend {
  readonly kind = "sealed";
  readonly #path: string;
  readonly #kdf: Kdf;
  readonly #key: Uint8Array;
  readonly #secrets = new Map<string, { curve: Curve; secret: Uint8Array; publicKey: Uint8Array }>();

  private constructor(path: string, kdf: Kdf, key: Uint8Array) {
    this.#path = path;
    this.#kdf = kdf;
    this.#key = key;
  }

  /**
   * Opens (or creates) a sealed key file.
   *
   * @throws {SealedWrongSecretError} when the passphrase or key file is wrong.
   * @throws {SealedTamperedError} when the header or ciphertext was changed.
   * @throws {InvalidInputError} when the file is missing and `create` is false.
   */
  static async open(opts: SealedOpenOptions): Promise<SealedKeyBackend> {
    if (!existsSync(opts.path)) {
      if (opts.create !== true)
        throw new InvalidInputError("path", opts.path, "sealed key file does not exist");
      const salt = bytesToHex(randomBytes(16));
      const cost = opts.scrypt ?? DEFAULT_SCRYPT;
      const kdf: Kdf =
        "passphrase" in opts.secret
          ? { name: "scrypt", N: cost.N, r: cost.r, p: cost.p, salt }
          : { name: "keyfile-hkdf", salt };
      if ("passphrase" in opts.secret && opts.secret.passphrase.length < 12) {
        throw new InvalidInputError("passphrase", "(redacted)", "expected at least 12 characters");
      }
      const backend = new SealedKeyBackend(opts.path, kdf, deriveKey(kdf, opts.secret));
      backend.#persist();
      return backend;
    }
    const file = SealedKeyBackend.#parse(opts.path);
    const key = deriveKey(file.kdf, opts.secret);
    const check = Buffer.from(checkValue(key), "hex");
    const stored = Buffer.from(file.check, "hex");
    if (stored.length !== check.length || !timingSafeEqual(stored, check))
      throw new SealedWrongSecretError(opts.path);
    let plain: Uint8Array;
    try {
      plain = xchacha20poly1305(key, hexToBytes(file.nonce), headerBytes(file)).decrypt(
        hexToBytes(file.ciphertext),
      );
    } catch {
      throw new SealedTamperedError(opts.path, "authentication failed");
    }
    const backend = new SealedKeyBackend(opts.path, file.kdf, key);
    const secrets = JSON.parse(new TextDecoder().decode(plain)) as Record<string, string>;
    for (const k of file.keys) {
      const secretHex = secrets[k.id];
      if (secretHex === undefined) throw new SealedTamperedError(opts.path, `no secret for key ${k.id}`);
      const secret = hexToBytes(secretHex);
      const publicKey = publicKeyOf(k.curve, secret);
      if (bytesToHex(publicKey) !== k.publicKey)
        throw new SealedTamperedError(opts.path, `public key of ${k.id} does not match`);
      backend.#secrets.set(k.id, { curve: k.curve, secret, publicKey });
    }
    return backend;
  }

  static #parse(path: string): SealedFile {
    let file: SealedFile;
    try {
      file = JSON.parse(readFileSync(path, "utf8")) as SealedFile;
    } catch {
      throw new SealedTamperedError(path, "not JSON");
    }
    const hex = (v: unknown): boolean => typeof v === "string" && /^([0-9a-f]{2})*$/.test(v);
    const kdfOk =
      typeof file.kdf === "object" &&
      file.kdf !== null &&
      hex(file.kdf.salt) &&
      (file.kdf.name === "keyfile-hkdf" ||
        (file.kdf.name === "scrypt" &&
          Number.isInteger(file.kdf.N) &&
          file.kdf.N >= 2 &&
          file.kdf.N <= 2 ** 22 &&
          Number.isInteger(file.kdf.r) &&
          file.kdf.r >= 1 &&
          file.kdf.r <= 32 &&
          Number.isInteger(file.kdf.p) &&
          file.kdf.p >= 1 &&
          file.kdf.p <= 16));
    const keysOk =
      Array.isArray(file.keys) &&
      file.keys.every(
        (k) =>
          typeof k === "object" &&
          k !== null &&
          typeof k.id === "string" &&
          KEY_ID_PATTERN.test(k.id) &&
          (k.curve === "secp256k1" || k.curve === "ed25519") &&
          hex(k.publicKey),
      );
    if (file.format !== FORMAT || file.version !== VERSION || !kdfOk || !keysOk) {
      throw new SealedTamperedError(path, "unrecognised header");
    }
    if (!hex(file.check) || !hex(file.nonce) || file.nonce.length !== 48 || !hex(file.ciphertext)) {
      throw new SealedTamperedError(path, "malformed check, nonce or ciphertext");
    }
    return file;
  }

  #header(): SealedHeader {
    return {
      format: FORMAT,
      version: VERSION,
      kdf: this.#kdf,
      keys: [...this.#secrets].map(([id, k]) => ({ id, curve: k.curve, publicKey: bytesToHex(k.publicKey) })),
    };
  }

  #persist(): void {
    const header = this.#header();
    const secrets: Record<string, string> = {};
    for (const [id, k] of this.#secrets) secrets[id] = bytesToHex(k.secret);
    const nonce = randomBytes(24);
    const ciphertext = xchacha20poly1305(this.#key, nonce, headerBytes(header)).encrypt(
      new TextEncoder().encode(JSON.stringify(secrets)),
    );
    const file: SealedFile = {
      ...header,
      check: checkValue(this.#key),
      nonce: bytesToHex(nonce),
      ciphertext: bytesToHex(ciphertext),
    };
    writeFileAtomic(this.#path, JSON.stringify(file, null, 2) + "\n");
  }

  async listKeys(): Promise<KeyInfo[]> {
    return [...this.#secrets].map(([id, k]) => ({
      id,
      curve: k.curve,
      publicKey: Uint8Array.from(k.publicKey),
    }));
  }

  async getKey(keyId: string): Promise<KeyInfo> {
    const k = this.#secrets.get(keyId);
    if (k === undefined) throw new UnknownKeyError(keyId);
    return { id: keyId, curve: k.curve, publicKey: Uint8Array.from(k.publicKey) };
  }

  async generateKey(keyId: string, curve: Curve): Promise<KeyInfo> {
    if (!KEY_ID_PATTERN.test(keyId))
      throw new InvalidInputError("keyId", keyId, `expected ${KEY_ID_PATTERN}`);
    if (this.#secrets.has(keyId)) throw new InvalidInputError("keyId", keyId, "a key with this id exists");
    const secret =
      curve === "secp256k1" ? secp256k1.utils.randomSecretKey() : ed25519.utils.randomSecretKey();
    this.#secrets.set(keyId, { curve, secret, publicKey: publicKeyOf(curve, secret) });
    try {
      this.#persist();
    } catch (err) {
      // A key that is not on disk must not be used: it would be lost at the next restart.
      this.#secrets.delete(keyId);
      throw err;
    }
    return this.getKey(keyId);
  }

  async signDigest(keyId: string, digest: Uint8Array): Promise<Uint8Array> {
    const k = this.#secrets.get(keyId);
    if (k === undefined) throw new UnknownKeyError(keyId);
    if (digest.length !== 32)
      throw new InvalidInputError("digest", String(digest.length), "expected 32 bytes");
    if (k.curve === "secp256k1") return signCompact(digest, k.secret);
    return ed25519.sign(digest, k.secret);
  }

  async signDigestRecoverable(
    keyId: string,
    digest: Uint8Array,
  ): Promise<{ rs: Uint8Array; recovery: 0 | 1 }> {
    const k = this.#secrets.get(keyId);
    if (k === undefined) throw new UnknownKeyError(keyId);
    if (k.curve !== "secp256k1") throw new InvalidInputError("keyId", keyId, "not a secp256k1 key");
    if (digest.length !== 32)
      throw new InvalidInputError("digest", String(digest.length), "expected 32 bytes");
    // libsecp256k1 (decision 1040): low-s, as Ethereum requires, with the bit it learnt signing.
    return signRecoverable(digest, k.secret);
  }

  async close(): Promise<void> {
    for (const k of this.#secrets.values()) k.secret.fill(0);
    this.#secrets.clear();
  }
}

function headerBytes(h: SealedHeader): Uint8Array {
  // Fixed field order, so the associated data is byte-for-byte what was sealed.
  return new TextEncoder().encode(
    JSON.stringify({
      format: h.format,
      version: h.version,
      kdf:
        h.kdf.name === "scrypt"
          ? { name: h.kdf.name, N: h.kdf.N, r: h.kdf.r, p: h.kdf.p, salt: h.kdf.salt }
          : { name: h.kdf.name, salt: h.kdf.salt },
      keys: h.keys.map((k) => ({ id: k.id, curve: k.curve, publicKey: k.publicKey })),
    }),
  );
}
