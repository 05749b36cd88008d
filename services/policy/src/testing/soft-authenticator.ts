/**
 * A software WebAuthn authenticator for tests: a P-256 (ES256) passkey that produces
 * registrations (attestation format `none`) and assertions byte for byte as a browser and a
 * platform authenticator would (clientDataJSON members in the browser's order: type, challenge,
 * origin, crossOrigin). TEST ONLY: the private key lives in memory.
 */
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, randomBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { base64urlnopad } from "@scure/base";
import { approvalChallenge } from "../approval-challenge.js";
import type { ApprovalChallengeInput } from "../approval-challenge.js";
import type { Passkey } from "../schema.js";
import type { ApprovalEvidence } from "../webauthn-verify.js";

const b64u = (bytes: Uint8Array): string => base64urlnopad.encode(bytes);

/** Options of one assertion; defaults behave like a well-behaved platform authenticator. */
export interface AssertionOptions {
  readonly origin: string;
  readonly rpId: string;
  /** Defaults true. */
  readonly userPresent?: boolean;
  /** Defaults true. */
  readonly userVerified?: boolean;
  readonly crossOrigin?: boolean;
  /** `webauthn.get` unless a test needs another type. */
  readonly type?: string;
  /** Produce the high-S form of the signature (real authenticators do, about half the time). */
  readonly highS?: boolean;
}

/** An assertion as `navigator.credentials.get` returns it (response part, base64url). */
export interface SoftAssertion {
  readonly credentialId: string;
  readonly authenticatorData: string;
  readonly clientDataJSON: string;
  readonly signature: string;
  readonly userHandle: string | null;
}

/** A registration as `navigator.credentials.create` returns it (RegistrationResponseJSON shape). */
export interface SoftRegistration {
  readonly id: string;
  readonly rawId: string;
  readonly type: "public-key";
  readonly clientExtensionResults: Record<string, never>;
  readonly authenticatorAttachment: "platform";
  readonly response: {
    readonly clientDataJSON: string;
    readonly attestationObject: string;
    readonly transports: ["internal"];
  };
}

// Minimal CBOR (RFC 8949) for the attestation object: unsigned/negative ints, bytes, text, maps.
function cborHead(major: number, n: number): Uint8Array {
  if (n < 24) return Uint8Array.of((major << 5) | n);
  if (n < 256) return Uint8Array.of((major << 5) | 24, n);
  if (n < 65536) return Uint8Array.of((major << 5) | 25, n >> 8, n & 0xff);
  throw new Error("CBOR length too large for the test authenticator");
}
type Cbor = number | string | Uint8Array | ReadonlyArray<readonly [Cbor, Cbor]>;
function cbor(value: Cbor): Uint8Array {
  if (typeof value === "number") return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  if (typeof value === "string") {
    const bytes = utf8ToBytes(value);
    return concatBytes(cborHead(3, bytes.length), bytes);
  }
  if (value instanceof Uint8Array) return concatBytes(cborHead(2, value.length), value);
  return concatBytes(cborHead(5, value.length), ...value.flatMap(([k, v]) => [cbor(k), cbor(v)]));
}

/** A P-256 passkey held in memory. */
export class SoftAuthenticator {
  readonly #secret: Uint8Array;
  readonly credentialId: string;
  /** Uncompressed public key `04 || x || y`, hex. */
  readonly publicKeyHex: string;
  #signCount = 0;

  /**
   * @param seed optional 32-byte secret for reproducible tests; random otherwise.
   */
  constructor(seed?: Uint8Array) {
    this.#secret = seed ?? p256.utils.randomSecretKey();
    const id =
      seed === undefined
        ? randomBytes(16)
        : sha256(concatBytes(utf8ToBytes("credential-id"), seed)).subarray(0, 16);
    this.credentialId = b64u(id);
    this.publicKeyHex = bytesToHex(p256.getPublicKey(this.#secret, false));
  }

  /** The policy document entry for this passkey. */
  passkey(label?: string): Passkey {
    return {
      credentialId: this.credentialId,
      publicKey: this.publicKeyHex,
      algorithm: "ES256",
      ...(label !== undefined ? { label } : {}),
    };
  }

  #authData(rpId: string, flags: number, extra: Uint8Array = new Uint8Array()): Uint8Array {
    this.#signCount++;
    const count = new Uint8Array(4);
    new DataView(count.buffer).setUint32(0, this.#signCount);
    return concatBytes(sha256(utf8ToBytes(rpId)), Uint8Array.of(flags), count, extra);
  }

  /** Answers `navigator.credentials.get` for a base64url challenge. */
  assert(challenge: string, options: AssertionOptions): SoftAssertion {
    const clientData = utf8ToBytes(
      JSON.stringify({
        type: options.type ?? "webauthn.get",
        challenge,
        origin: options.origin,
        crossOrigin: options.crossOrigin ?? false,
      }),
    );
    const flags = (options.userPresent === false ? 0 : 0x01) | (options.userVerified === false ? 0 : 0x04);
    const authData = this.#authData(options.rpId, flags);
    let sig = p256.Signature.fromBytes(
      p256.sign(concatBytes(authData, sha256(clientData)), this.#secret, { prehash: true, lowS: true }),
      "compact",
    );
    if (options.highS === true) sig = new p256.Signature(sig.r, p256.Point.Fn.ORDER - sig.s);
    return {
      credentialId: this.credentialId,
      authenticatorData: b64u(authData),
      clientDataJSON: b64u(clientData),
      signature: b64u(sig.toBytes("der")),
      userHandle: null,
    };
  }

  /**
   * Builds the stored evidence of one approval: computes the challenge from `input` and asserts it.
   */
  approve(input: ApprovalChallengeInput, options: AssertionOptions): ApprovalEvidence {
    const a = this.assert(approvalChallenge(input), options);
    return {
      approverId: input.approverId,
      credentialId: this.credentialId,
      subject: { kind: input.subject.kind, digest: input.subject.digest },
      expiresAt: input.expiresAt,
      nonce: input.nonce,
      authenticatorData: a.authenticatorData,
      clientDataJSON: a.clientDataJSON,
      signature: a.signature,
    };
  }

  /** Answers `navigator.credentials.create` (attestation `none`, COSE ES256 key). */
  register(challenge: string, options: { readonly origin: string; readonly rpId: string }): SoftRegistration {
    const clientData = utf8ToBytes(
      JSON.stringify({ type: "webauthn.create", challenge, origin: options.origin, crossOrigin: false }),
    );
    const point = p256.getPublicKey(this.#secret, false);
    const cose = cbor([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, point.subarray(1, 33)],
      [-3, point.subarray(33, 65)],
    ]);
    const rawId = base64urlnopad.decode(this.credentialId);
    const attested = concatBytes(
      new Uint8Array(16),
      Uint8Array.of(rawId.length >> 8, rawId.length & 0xff),
      rawId,
      cose,
    );
    // Flags: UP | UV | AT (attested credential data present).
    const authData = this.#authData(options.rpId, 0x45, attested);
    const attestationObject = cbor([
      ["fmt", "none"],
      ["attStmt", []],
      ["authData", authData],
    ]);
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: "public-key",
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
      response: {
        clientDataJSON: b64u(clientData),
        attestationObject: b64u(attestationObject),
        transports: ["internal"],
      },
    };
  }
}
