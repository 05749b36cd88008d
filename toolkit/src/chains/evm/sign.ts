import { secp256k1 } from "@noble/curves/secp256k1.js";
import { IntegrityError, InvalidInputError, RefusedError } from "../../errors.js";
import type { BurnRegistry } from "../burn-registry.js";
import { assertConfirmed, type Confirmation } from "../display.js";
import { toHex } from "../hex.js";
import { decodeRequest, type DecodedEvmRequest } from "../request.js";
import { addressFromPublicKey, privateKeyBytes } from "./address.js";
import {
  decodeSignedTransaction,
  signTransaction,
  transactionSigningHash,
  type SignedEip1559Transaction,
} from "./transaction.js";

/** What every cold signer needs besides the key. */
export interface ColdSignOptions {
  /** Burn registry: refuses a burned key and records the digest before the signature exists. */
  readonly registry: BurnRegistry;
  /** Proof from `confirm()` that the operator approved this request's digest. */
  readonly confirmation: Confirmation;
}

/** A signed EVM cold request. */
export interface SignedEvmRequest {
  readonly decoded: DecodedEvmRequest;
  readonly signed: SignedEip1559Transaction;
  /** JSON-safe result for files and QR codes: what a broadcaster needs, nothing secret. */
  readonly result: {
    readonly kind: "evm-signed-transaction";
    readonly digest: string;
    readonly from: string;
    readonly raw: string;
    readonly hash: string;
  };
}

/**
 * Signs a prepared EVM request with the reassembled cold key.
 *
 * Order matters: the request is decoded from its bytes, the confirmation checked, the key's
 * address compared with the request's `from` (a wrong key burns nothing), the registry refuses a
 * burned key or records the digest (write-ahead), and only then the transaction is signed and the
 * signature checked by recovering the sender. The 32-byte key copy made here is zeroed; a bigint
 * scalar passed by the caller is immutable and cannot be wiped by JavaScript.
 *
 * @throws InvalidInputError (`kind`) for a Tezos request, (`privateKey`) for a malformed key.
 * @throws RefusedError `KEY_MISMATCH` when the key does not control `from`; registry and
 *   confirmation refusals as documented there.
 * @throws IntegrityError when the produced signature does not recover to `from`.
 */
export async function signEvmRequest(
  request: unknown,
  privateKey: Uint8Array | bigint,
  options: ColdSignOptions,
): Promise<SignedEvmRequest> {
  const decoded = await decodeRequest(request);
  if (decoded.kind !== "evm-transaction") {
    throw new InvalidInputError(
      "kind",
      `signEvmRequest needs an evm-transaction request, got ${decoded.kind}`,
    );
  }
  assertConfirmed(decoded, options.confirmation);
  const key = privateKeyBytes(privateKey);
  try {
    const address = addressFromPublicKey(secp256k1.getPublicKey(key, false));
    if (address !== decoded.from) {
      throw new RefusedError(
        "KEY_MISMATCH",
        `the key controls ${address}, but the request is from ${decoded.from}`,
      );
    }
    options.registry.recordSignature(address, decoded);
    const signed = signTransaction(decoded.tx, key);
    const check = decodeSignedTransaction(signed.raw);
    if (check.from !== decoded.from || check.hash !== signed.hash) {
      throw new IntegrityError(
        "signature",
        `signed transaction recovers to ${check.from}, not ${decoded.from}`,
      );
    }
    if (toHex(transactionSigningHash(signed.tx)) !== decoded.digest) {
      throw new IntegrityError("signature", "signed a different transaction than the one confirmed");
    }
    const result = Object.freeze({
      kind: "evm-signed-transaction" as const,
      digest: decoded.digest,
      from: signed.from,
      raw: signed.raw,
      hash: signed.hash,
    });
    return Object.freeze({ decoded, signed, result });
  } finally {
    key.fill(0);
  }
}
