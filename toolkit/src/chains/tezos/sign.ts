import { ed25519 } from "@noble/curves/ed25519.js";
import { IntegrityError, InvalidInputError, RefusedError } from "../../errors.js";
import { assertConfirmed } from "../display.js";
import { concatBytes, parseHex, toHex } from "../hex.js";
import { decodeRequest, type DecodedTezosRequest } from "../request.js";
import type { ColdSignOptions } from "../evm/sign.js";
import {
  encodePublicKey,
  encodeSignature,
  operationHash,
  parsePublicKey,
  parseSignature,
  tz1FromPublicKey,
} from "./base58.js";
import { operationSigningHash } from "./operation.js";

/** What FROST (or any Ed25519 signer) must sign for a Tezos request. */
export interface TezosSigningPayload {
  readonly decoded: DecodedTezosRequest;
  /** The forged operation bytes (no watermark). */
  readonly forged: Uint8Array;
  /** The Ed25519 message: blake2b-256(0x03 || forged), equal to the request's digest. */
  readonly message: Uint8Array;
  /** The cold key, as `edpk…`. */
  readonly publicKey: string;
}

/** A signed Tezos operation, ready for `/injection/operation`. */
export interface SignedTezosOperation {
  /** Forged bytes followed by the 64-byte signature, as hex without `0x` (what the node wants). */
  readonly signedBytes: string;
  readonly signature: string;
  /** Operation hash (`o…`). */
  readonly hash: string;
}

function publicKeyBytes(publicKey: string | Uint8Array): Uint8Array {
  if (typeof publicKey === "string") return parsePublicKey("publicKey", publicKey);
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new InvalidInputError("publicKey", "expected a 32-byte Ed25519 public key or an edpk string");
  }
  return publicKey;
}

/**
 * Checks a Tezos request and returns the message to hand to FROST round 2 (or a plain Ed25519
 * key). The registry records the digest before this returns: once the message leaves here a
 * signature may exist, so the key counts as burned from this point.
 *
 * @throws InvalidInputError (`kind`) for an EVM request, (`publicKey`) for a non-Ed25519 key.
 * @throws RefusedError `KEY_MISMATCH` when the key's tz1 is not the operation's source; registry
 *   and confirmation refusals as documented there.
 */
export async function prepareTezosSigning(
  request: unknown,
  publicKey: string | Uint8Array,
  options: ColdSignOptions,
): Promise<TezosSigningPayload> {
  const decoded = await decodeRequest(request);
  if (decoded.kind !== "tezos-operation") {
    throw new InvalidInputError(
      "kind",
      `prepareTezosSigning needs a tezos-operation request, got ${decoded.kind}`,
    );
  }
  assertConfirmed(decoded, options.confirmation);
  const pk = publicKeyBytes(publicKey);
  const tz1 = tz1FromPublicKey(pk);
  if (tz1 !== decoded.summary.source) {
    throw new RefusedError(
      "KEY_MISMATCH",
      `the key is ${tz1}, but the operation's source is ${decoded.summary.source}`,
    );
  }
  options.registry.recordSignature(tz1, decoded);
  const message = operationSigningHash(decoded.forged);
  if (toHex(message) !== decoded.digest)
    throw new IntegrityError("digest", "signing hash differs from the digest");
  return Object.freeze({ decoded, forged: decoded.forged, message, publicKey: encodePublicKey(pk) });
}

/**
 * Verifies an Ed25519 signature over the operation (strict RFC 8032 rules: canonical encodings
 * only, as Wycheproof expects) and appends it to the forged bytes.
 *
 * @throws InvalidInputError (`signature`) for a signature that is not 64 bytes or edsig.
 * @throws IntegrityError (`signature`) when it does not verify under the public key.
 */
export function attachSignature(
  forged: Uint8Array,
  signature: Uint8Array | string,
  publicKey: string | Uint8Array,
): SignedTezosOperation {
  const pk = publicKeyBytes(publicKey);
  let sig: Uint8Array;
  if (typeof signature === "string") {
    sig = signature.startsWith("edsig")
      ? parseSignature("signature", signature)
      : parseHex("signature", signature, 64);
  } else {
    if (!(signature instanceof Uint8Array) || signature.length !== 64) {
      throw new InvalidInputError("signature", "expected 64 bytes");
    }
    sig = signature;
  }
  if (!ed25519.verify(sig, operationSigningHash(forged), pk, { zip215: false })) {
    throw new IntegrityError("signature", `does not verify for ${tz1FromPublicKey(pk)} over this operation`);
  }
  const signed = concatBytes(forged, sig);
  return Object.freeze({
    signedBytes: toHex(signed).slice(2),
    signature: encodeSignature(sig),
    hash: operationHash(signed),
  });
}
