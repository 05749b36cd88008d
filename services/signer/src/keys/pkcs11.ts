/**
 * PKCS#11 backend: hot keys generated inside a token (SoftHSM in tests, any PKCS#11 HSM in
 * production) as sensitive and non-extractable. The process only ever holds object handles.
 */
import pkcs11js from "pkcs11js";
import { HsmError, InvalidInputError, UnknownKeyError } from "../errors.js";
import { KEY_ID_PATTERN } from "./backend.js";
import type { Curve, KeyBackend, KeyInfo } from "./backend.js";

// pkcs11js lacks the Edwards constants (PKCS#11 v3.0).
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;

/** DER OIDs: secp256k1 (1.3.132.0.10) and Ed25519 (1.3.101.112). */
const SECP256K1_PARAMS = Buffer.from("06052b8104000a", "hex");
const ED25519_PARAMS = Buffer.from("06032b6570", "hex");
/** SoftHSM (and PKCS#11 3.0's named-curve form) store Ed25519 as PrintableString "edwards25519". */
const ED25519_PARAMS_ALIASES = [
  Buffer.from("130c656477617264733235353139", "hex"),
  Buffer.from("130765643235353139", "hex"),
];

/** How to reach the token. */
export interface Pkcs11Options {
  /** Path of the PKCS#11 module, e.g. `/usr/lib/softhsm/libsofthsm2.so`. */
  readonly library: string;
  readonly tokenLabel: string;
  readonly pin: string;
}

/** What the token says about a private key's protection. */
export interface KeyProtection {
  readonly sensitive: boolean;
  readonly extractable: boolean;
  /** The Cryptoki error returned when reading `CKA_VALUE` (null if it was readable!). */
  readonly valueReadError: string | null;
}

function ckrOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const match = /CKR_[A-Z_]+/.exec(message);
  return match?.[0] ?? "CKR_UNKNOWN";
}

function hsm<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof HsmError) throw err;
    throw new HsmError(ckrOf(err), what);
  }
}

/** Unwraps the DER OCTET STRING around `CKA_EC_POINT` (some tokens return the bare point). */
export function decodeEcPoint(value: Buffer, curve: Curve): Uint8Array {
  const size = curve === "secp256k1" ? 65 : 32;
  if (value.length === size + 2 && value[0] === 0x04 && value[1] === size)
    return new Uint8Array(value.subarray(2));
  if (value.length === size) return new Uint8Array(value);
  throw new HsmError("CKR_GENERAL_ERROR", `unexpected ${curve} CKA_EC_POINT of ${value.length} bytes`);
}

interface Held {
  readonly info: KeyInfo;
  readonly privateKey: pkcs11js.Handle;
}

/**
 * @example
 * const hsm = Pkcs11KeyBackend.open({ library: "/usr/lib/softhsm/libsofthsm2.so", tokenLabel: "coldpath", pin });
 * await hsm.generateKey("evm-hot", "secp256k1");
 */
export class Pkcs11KeyBackend implements KeyBackend {
  readonly kind = "pkcs11";
  readonly #p11: pkcs11js.PKCS11;
  readonly #session: pkcs11js.Handle;
  readonly #keys = new Map<string, Held>();
  #closed = false;

  private constructor(p11: pkcs11js.PKCS11, session: pkcs11js.Handle) {
    this.#p11 = p11;
    this.#session = session;
  }

  /**
   * Loads the module, finds the slot whose token has `tokenLabel`, opens a session and logs in.
   *
   * @throws {HsmError} `CKR_TOKEN_NOT_PRESENT` when no token has the label, `CKR_PIN_INCORRECT`...
   */
  static open(opts: Pkcs11Options): Pkcs11KeyBackend {
    const p11 = new pkcs11js.PKCS11();
    hsm(`load ${opts.library}`, () => p11.load(opts.library));
    try {
      p11.C_Initialize();
    } catch (err) {
      // Another backend in this process already initialised the same module: share it.
      if (ckrOf(err) !== "CKR_CRYPTOKI_ALREADY_INITIALIZED") throw new HsmError(ckrOf(err), "C_Initialize");
    }
    const slot = hsm("C_GetSlotList", () => p11.C_GetSlotList(true)).find(
      (s) => hsm("C_GetTokenInfo", () => p11.C_GetTokenInfo(s)).label.trim() === opts.tokenLabel,
    );
    if (slot === undefined)
      throw new HsmError("CKR_TOKEN_NOT_PRESENT", `no token labelled ${JSON.stringify(opts.tokenLabel)}`);
    const session = hsm("C_OpenSession", () =>
      p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION),
    );
    try {
      p11.C_Login(session, pkcs11js.CKU_USER, opts.pin);
    } catch (err) {
      if (ckrOf(err) !== "CKR_USER_ALREADY_LOGGED_IN") {
        hsm("C_CloseSession", () => p11.C_CloseSession(session));
        throw new HsmError(ckrOf(err), `login to token ${opts.tokenLabel}`);
      }
    }
    const backend = new Pkcs11KeyBackend(p11, session);
    backend.#scan();
    return backend;
  }

  #find(template: pkcs11js.Template): pkcs11js.Handle[] {
    const p11 = this.#p11;
    hsm("C_FindObjectsInit", () => p11.C_FindObjectsInit(this.#session, template));
    try {
      const found: pkcs11js.Handle[] = [];
      for (;;) {
        const batch = hsm("C_FindObjects", () => p11.C_FindObjects(this.#session, 64));
        if (batch.length === 0) return found;
        found.push(...batch);
      }
    } finally {
      hsm("C_FindObjectsFinal", () => p11.C_FindObjectsFinal(this.#session));
    }
  }

  #attrs(handle: pkcs11js.Handle, types: number[]): Buffer[] {
    const out = hsm("C_GetAttributeValue", () =>
      this.#p11.C_GetAttributeValue(
        this.#session,
        handle,
        types.map((type) => ({ type })),
      ),
    );
    return out.map((a) => a.value as Buffer);
  }

  // Indexes the token's private keys by label; keys that are not on our curves are ignored and
  // keys the token would let anyone export are refused outright.
  #scan(): void {
    this.#keys.clear();
    const privates = this.#find([
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_TOKEN, value: true },
    ]);
    for (const handle of privates) {
      const [label, keyType, params] = this.#attrs(handle, [
        pkcs11js.CKA_LABEL,
        pkcs11js.CKA_KEY_TYPE,
        pkcs11js.CKA_EC_PARAMS,
      ]);
      const id = label!.toString("utf8");
      const type = keyType!.readUInt32LE(0);
      let curve: Curve;
      if (type === pkcs11js.CKK_EC && params!.equals(SECP256K1_PARAMS)) curve = "secp256k1";
      else if (type === CKK_EC_EDWARDS && params!.equals(ED25519_PARAMS)) curve = "ed25519";
      else if (type === CKK_EC_EDWARDS && ED25519_PARAMS_ALIASES.some((a) => params!.equals(a)))
        curve = "ed25519";
      else continue;
      const pub = this.#find([
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
        { type: pkcs11js.CKA_LABEL, value: id },
      ])[0];
      if (pub === undefined) continue;
      const [point] = this.#attrs(pub, [pkcs11js.CKA_EC_POINT]);
      this.#keys.set(id, {
        info: { id, curve, publicKey: decodeEcPoint(point!, curve) },
        privateKey: handle,
      });
    }
  }

  #held(keyId: string): Held {
    if (this.#closed) throw new HsmError("CKR_SESSION_CLOSED", "backend closed");
    const held = this.#keys.get(keyId);
    if (held === undefined) throw new UnknownKeyError(keyId);
    return held;
  }

  async listKeys(): Promise<KeyInfo[]> {
    return [...this.#keys.values()].map((h) => h.info).sort((a, b) => a.id.localeCompare(b.id));
  }

  async getKey(keyId: string): Promise<KeyInfo> {
    return this.#held(keyId).info;
  }

  /**
   * Reports how the token protects a key, and proves it by trying to read the private value.
   *
   * @throws {UnknownKeyError} when no key has this id.
   */
  keyProtection(keyId: string): KeyProtection {
    const { privateKey } = this.#held(keyId);
    const [sensitive, extractable] = this.#attrs(privateKey, [
      pkcs11js.CKA_SENSITIVE,
      pkcs11js.CKA_EXTRACTABLE,
    ]);
    let valueReadError: string | null = null;
    try {
      this.#p11.C_GetAttributeValue(this.#session, privateKey, [{ type: pkcs11js.CKA_VALUE }]);
    } catch (err) {
      valueReadError = ckrOf(err);
    }
    return { sensitive: sensitive![0] === 1, extractable: extractable![0] === 1, valueReadError };
  }

  async generateKey(keyId: string, curve: Curve): Promise<KeyInfo> {
    if (!KEY_ID_PATTERN.test(keyId))
      throw new InvalidInputError("keyId", keyId, `expected ${KEY_ID_PATTERN}`);
    if (this.#keys.has(keyId)) throw new InvalidInputError("keyId", keyId, "a key with this id exists");
    const ec = curve === "secp256k1";
    const keyType = ec ? pkcs11js.CKK_EC : CKK_EC_EDWARDS;
    const common = [
      { type: pkcs11js.CKA_KEY_TYPE, value: keyType },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_LABEL, value: keyId },
      { type: pkcs11js.CKA_ID, value: Buffer.from(keyId, "utf8") },
    ];
    hsm(`generate ${curve} key ${keyId}`, () =>
      this.#p11.C_GenerateKeyPair(
        this.#session,
        { mechanism: ec ? pkcs11js.CKM_EC_KEY_PAIR_GEN : CKM_EC_EDWARDS_KEY_PAIR_GEN },
        [
          ...common,
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
          { type: pkcs11js.CKA_VERIFY, value: true },
          { type: pkcs11js.CKA_EC_PARAMS, value: ec ? SECP256K1_PARAMS : ED25519_PARAMS },
        ],
        [
          ...common,
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
          { type: pkcs11js.CKA_PRIVATE, value: true },
          { type: pkcs11js.CKA_SIGN, value: true },
          // The key must never leave the token, not even wrapped.
          { type: pkcs11js.CKA_SENSITIVE, value: true },
          { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        ],
      ),
    );
    this.#scan();
    return this.#held(keyId).info;
  }

  async signDigest(keyId: string, digest: Uint8Array): Promise<Uint8Array> {
    const held = this.#held(keyId);
    if (digest.length !== 32)
      throw new InvalidInputError("digest", String(digest.length), "expected 32 bytes");
    const mechanism = held.info.curve === "secp256k1" ? pkcs11js.CKM_ECDSA : CKM_EDDSA;
    const signature = hsm(`sign with ${keyId}`, () => {
      this.#p11.C_SignInit(this.#session, { mechanism }, held.privateKey);
      return this.#p11.C_Sign(this.#session, Buffer.from(digest), Buffer.alloc(128));
    });
    if (signature.length !== 64)
      throw new HsmError("CKR_GENERAL_ERROR", `expected a 64-byte signature, got ${signature.length}`);
    return new Uint8Array(signature);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#p11.C_Logout(this.#session);
    } catch {
      // Already logged out by another session of this process.
    }
    try {
      this.#p11.C_CloseSession(this.#session);
    } catch {
      // Nothing left to release.
    }
  }

  /** Finalizes the module; call once when no backend of this process uses it any more. */
  finalize(): void {
    try {
      this.#p11.C_Finalize();
    } catch {
      // Already finalized.
    }
  }
}
