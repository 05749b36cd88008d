/**
 * Party key pairs: an X25519 pair that shares are encrypted to, and an Ed25519 pair that signs
 * transcripts. On disk the secret halves are encrypted under a passphrase (scrypt +
 * XChaCha20-Poly1305) with the public half as associated data.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from "node:fs";
import { dirname } from "node:path";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { scrypt } from "@noble/hashes/scrypt.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { IntegrityError, InvalidInputError } from "../errors.js";
import { isValidPartyName } from "./access.js";
import type { Rng } from "./entropy.js";
import { osRng } from "./entropy.js";

/** A party's public keys, as published in the ceremony transcript. */
export interface PartyPublicKeys {
  readonly version: 1;
  readonly party: string;
  /** First 16 bytes of SHA-256 over the domain tag, party name and both public keys, hex. */
  readonly keyId: string;
  /** X25519 public key, hex. */
  readonly encryptionKey: string;
  /** Ed25519 public key, hex. */
  readonly signingKey: string;
}

/** scrypt cost parameters. */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** Default scrypt cost: 2^17 x 8 x 1 (128 MiB, about a second in JavaScript). */
export const DEFAULT_SCRYPT: ScryptParams = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });

/** A passphrase-encrypted party key file (JSON). */
export interface PartyKeyFile {
  readonly version: 1;
  readonly kind: "coldpath-party-key";
  readonly public: PartyPublicKeys;
  readonly kdf: {
    readonly name: "scrypt";
    readonly N: number;
    readonly r: number;
    readonly p: number;
    readonly salt: string;
  };
  readonly cipher: "xchacha20poly1305";
  readonly nonce: string;
  readonly ciphertext: string;
}

const KEY_ID_TAG = utf8ToBytes("coldpath/party-key-id/v1");
const TRANSCRIPT_TAG = utf8ToBytes("coldpath/transcript-signature/v1\0");

/** Computes the key id binding a party name to its two public keys. */
export function partyKeyId(party: string, encryptionKey: Uint8Array, signingKey: Uint8Array): string {
  return bytesToHex(
    sha256(concatBytes(KEY_ID_TAG, utf8ToBytes(party), Uint8Array.of(0), encryptionKey, signingKey)).subarray(
      0,
      16,
    ),
  );
}

/**
 * Checks a published public-key record: well-formed fields and a key id that matches.
 * @throws {InvalidInputError} for malformed fields; {@link IntegrityError} for a wrong key id.
 */
export function checkPartyPublicKeys(pub: PartyPublicKeys): void {
  if (pub?.version !== 1) throw new InvalidInputError("partyKeys.version", "expected 1");
  if (!isValidPartyName(pub.party)) throw new InvalidInputError("partyKeys.party", "bad party name");
  for (const f of ["encryptionKey", "signingKey"] as const)
    if (typeof pub[f] !== "string" || !/^[0-9a-f]{64}$/.test(pub[f]))
      throw new InvalidInputError(`partyKeys.${f}`, "expected 32-byte hex");
  if (pub.keyId !== partyKeyId(pub.party, hexToBytes(pub.encryptionKey), hexToBytes(pub.signingKey)))
    throw new IntegrityError(`keys of ${pub.party}`, "key id does not match the public keys");
}

/** A party's key pairs. Secret halves are private fields; nothing here serialises them in clear. */
export class PartyKeys {
  readonly public: PartyPublicKeys;
  #encryptionSecret: Uint8Array;
  #signingSeed: Uint8Array;

  /**
   * @throws {InvalidInputError} on a bad party name or secret lengths.
   */
  constructor(party: string, encryptionSecret: Uint8Array, signingSeed: Uint8Array) {
    if (!isValidPartyName(party))
      throw new InvalidInputError("party", `bad party name ${JSON.stringify(party)}`);
    if (encryptionSecret.length !== 32 || signingSeed.length !== 32)
      throw new InvalidInputError("partyKeys", "expected 32-byte secrets");
    this.#encryptionSecret = encryptionSecret.slice();
    this.#signingSeed = signingSeed.slice();
    const enc = x25519.getPublicKey(this.#encryptionSecret);
    const sig = ed25519.getPublicKey(this.#signingSeed);
    this.public = Object.freeze({
      version: 1,
      party,
      keyId: partyKeyId(party, enc, sig),
      encryptionKey: bytesToHex(enc),
      signingKey: bytesToHex(sig),
    });
    Object.freeze(this);
  }

  get party(): string {
    return this.public.party;
  }

  get keyId(): string {
    return this.public.keyId;
  }

  /** X25519 shared secret with `publicKey` (for share decryption). */
  sharedSecret(publicKey: Uint8Array): Uint8Array {
    try {
      return x25519.getSharedSecret(this.#encryptionSecret, publicKey);
    } catch {
      throw new IntegrityError("ephemeral key", "not a usable X25519 public key");
    }
  }

  /** Ed25519 signature over `TRANSCRIPT_TAG ‖ message` (domain-separated from other uses). */
  signTranscript(message: Uint8Array): Uint8Array {
    return ed25519.sign(concatBytes(TRANSCRIPT_TAG, message), this.#signingSeed);
  }

  /** Best-effort wipe of the secret bytes (bigint copies elsewhere cannot be wiped). */
  wipe(): void {
    this.#encryptionSecret.fill(0);
    this.#signingSeed.fill(0);
  }

  /** @internal secret bytes for the encrypted key file. */
  exportSecrets(): Uint8Array {
    return concatBytes(this.#encryptionSecret, this.#signingSeed);
  }
}

/**
 * Verifies a transcript signature made by {@link PartyKeys.signTranscript} (strict RFC 8032).
 */
export function verifyTranscriptSignature(
  pub: PartyPublicKeys,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    return ed25519.verify(signature, concatBytes(TRANSCRIPT_TAG, message), hexToBytes(pub.signingKey), {
      zip215: false,
    });
  } catch {
    return false;
  }
}

/**
 * Generates a party's two key pairs.
 * @throws {InvalidInputError} on a bad party name.
 * @example
 * const alice = generatePartyKeys("alice");
 */
export function generatePartyKeys(party: string, rng: Rng = osRng): PartyKeys {
  const enc = rng(32);
  const sig = rng(32);
  const keys = new PartyKeys(party, enc, sig);
  enc.fill(0);
  sig.fill(0);
  return keys;
}

function checkScrypt(p: ScryptParams): void {
  if (!Number.isInteger(p.N) || p.N < 2 || (p.N & (p.N - 1)) !== 0 || p.N > 2 ** 22)
    throw new InvalidInputError("kdf.N", `expected a power of two in 2..2^22, got ${p.N}`);
  if (!Number.isInteger(p.r) || p.r < 1 || p.r > 32) throw new InvalidInputError("kdf.r", "expected 1..32");
  if (!Number.isInteger(p.p) || p.p < 1 || p.p > 16) throw new InvalidInputError("kdf.p", "expected 1..16");
}

function aadOf(pub: PartyPublicKeys, kdf: PartyKeyFile["kdf"]): Uint8Array {
  return utf8ToBytes(JSON.stringify(["coldpath-party-key/v1", pub, kdf]));
}

/**
 * Encrypts a party's secrets under a passphrase.
 * @param params - scrypt cost (tests use small N; production keeps {@link DEFAULT_SCRYPT}).
 * @throws {InvalidInputError} on an empty passphrase (< 8 characters) or bad parameters.
 */
export function encryptPartyKeys(
  keys: PartyKeys,
  passphrase: string,
  params: ScryptParams = DEFAULT_SCRYPT,
  rng: Rng = osRng,
): PartyKeyFile {
  if (typeof passphrase !== "string" || passphrase.length < 8)
    throw new InvalidInputError("passphrase", "must have at least 8 characters");
  checkScrypt(params);
  const salt = rng(16);
  const nonce = rng(24);
  const kdf = { name: "scrypt", N: params.N, r: params.r, p: params.p, salt: bytesToHex(salt) } as const;
  const key = scrypt(utf8ToBytes(passphrase.normalize("NFKC")), salt, { ...params, dkLen: 32 });
  const secrets = keys.exportSecrets();
  const ciphertext = xchacha20poly1305(key, nonce, aadOf(keys.public, kdf)).encrypt(secrets);
  secrets.fill(0);
  key.fill(0);
  return {
    version: 1,
    kind: "coldpath-party-key",
    public: keys.public,
    kdf,
    cipher: "xchacha20poly1305",
    nonce: bytesToHex(nonce),
    ciphertext: bytesToHex(ciphertext),
  };
}

/**
 * Decrypts a party key file.
 * @throws {IntegrityError} for a wrong passphrase or a tampered file (indistinguishable by design).
 * @throws {InvalidInputError} for a malformed file.
 */
export function decryptPartyKeys(file: PartyKeyFile, passphrase: string): PartyKeys {
  if (file?.version !== 1 || file.kind !== "coldpath-party-key" || file.cipher !== "xchacha20poly1305")
    throw new InvalidInputError("partyKeyFile", "not a coldpath party key file (version 1)");
  if (file.kdf?.name !== "scrypt") throw new InvalidInputError("partyKeyFile.kdf", "expected scrypt");
  checkScrypt(file.kdf);
  checkPartyPublicKeys(file.public);
  let plain: Uint8Array;
  const key = scrypt(utf8ToBytes(String(passphrase).normalize("NFKC")), hexToBytes(file.kdf.salt), {
    N: file.kdf.N,
    r: file.kdf.r,
    p: file.kdf.p,
    dkLen: 32,
  });
  try {
    plain = xchacha20poly1305(key, hexToBytes(file.nonce), aadOf(file.public, file.kdf)).decrypt(
      hexToBytes(file.ciphertext),
    );
  } catch {
    throw new IntegrityError(`key file of ${file.public.party}`, "wrong passphrase or tampered file");
  } finally {
    key.fill(0);
  }
  const keys = new PartyKeys(file.public.party, plain.subarray(0, 32), plain.subarray(32, 64));
  plain.fill(0);
  if (keys.keyId !== file.public.keyId)
    throw new IntegrityError(`key file of ${file.public.party}`, "secrets do not match the public keys");
  return keys;
}

/** Writes `data` atomically: temp file, fsync, rename, fsync of the directory. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dfd = openSync(dirname(path), "r");
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/** Saves a key file (mode 0600, atomic). */
export function writePartyKeyFile(path: string, file: PartyKeyFile): void {
  writeFileAtomic(path, JSON.stringify(file, null, 2) + "\n");
}

/**
 * Reads a key file written by {@link writePartyKeyFile}.
 * @throws {InvalidInputError} if it is not JSON.
 */
export function readPartyKeyFile(path: string): PartyKeyFile {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as PartyKeyFile;
  } catch (e) {
    throw new InvalidInputError("partyKeyFile", `cannot read ${path}: ${(e as Error).message}`);
  }
}
