import type { Envelope } from "../envelope/envelope.js";
import { createEnvelope } from "../envelope/envelope.js";
import { InvalidInputError, RefusedError } from "../errors.js";
import { explainUnqualified, isQualified } from "../crypto/access.js";
import { secp256k1Group } from "../crypto/curves.js";
import type { PartyKeys } from "../crypto/party-keys.js";
import type { PartyShare } from "../crypto/sharing.js";
import { combineShares } from "../crypto/sharing.js";
import { BurnRegistry } from "../chains/burn-registry.js";
import type { Confirmation, ConfirmOptions } from "../chains/display.js";
import { confirm, renderRequest } from "../chains/display.js";
import { signEvmRequest } from "../chains/evm/sign.js";
import type { ColdRequest, DecodedEvmRequest } from "../chains/request.js";
import type { LoadedShareFile } from "./shares.js";
import { assertSameKey, keyByAddress, openShare } from "./shares.js";

/** Payload of a "signed-transaction" envelope for EVM. */
export interface SignedEvmPayload {
  readonly chain: "evm";
  readonly chainId: string;
  readonly from: string;
  /** The request digest the operator confirmed (the transaction's signing hash). */
  readonly digest: string;
  /** `0x02…` raw transaction for eth_sendRawTransaction. */
  readonly raw: string;
  readonly hash: string;
  [key: string]: unknown;
}

/** One holder's contribution: its share file and its unlocked party keys. */
export interface ShareHolder {
  readonly shareFile: LoadedShareFile;
  /** Unlocks the party's keys (asked only after the request is confirmed). */
  unlock(): PartyKeys;
}

/** Options of {@link coldSignEvm}. */
export interface ColdSignEvmOptions {
  readonly request: ColdRequest;
  readonly decoded: DecodedEvmRequest;
  readonly holders: readonly ShareHolder[];
  /** Burn registry file of this cold key. */
  readonly registryFile: string;
  /** Confirmation: an expected digest and/or an interactive prompt (see chains' confirm). */
  readonly confirm: ConfirmOptions;
  /** Called once after confirmation and before any key is unlocked (the CLI asks passphrases here). */
  readonly beforeUnlock?: () => Promise<void>;
}

/**
 * Signs a prepared EIP-1559 request with a reassembled cold key, in this order:
 *
 * 1. the share files must all describe the key of the request's `from` with the same
 *    commitments, and the holders present must satisfy the access structure (refused before
 *    any passphrase is asked);
 * 2. the burn registry must allow this key to sign this request;
 * 3. trusted display and confirmation (typed digest prefix, or the expected digest);
 * 4. shares are decrypted, verified against the commitments and combined; the result is checked
 *    against the recorded public key by the crypto module;
 * 5. the chains module checks the key's address equals `from`, records the digest in the burn
 *    registry (write-ahead), signs, and re-verifies the signature by recovering the sender.
 *
 * Party keys are wiped afterwards; the combined scalar is a bigint and cannot be zeroed.
 *
 * @throws {InvalidInputError} when the holders do not satisfy the structure (naming the gates)
 * @throws {RefusedError} KEY_BURNED, DIGEST_MISMATCH, NOT_CONFIRMED, UNKNOWN_CALL, KEY_MISMATCH
 * @throws {IntegrityError} for a tampered share or a combine result that does not match
 */
export async function coldSignEvm(
  options: ColdSignEvmOptions,
): Promise<{ envelope: Envelope<SignedEvmPayload>; display: string[]; confirmation: Confirmation }> {
  const { decoded } = options;
  if (decoded.kind !== "evm-transaction") throw new InvalidInputError("request", "not an EVM request");
  const entries = options.holders.map((h) => ({
    loaded: h.shareFile,
    key: keyByAddress(h.shareFile, decoded.from),
    holder: h,
  }));
  assertSameKey(entries);
  const first = entries[0]!;
  if (first.key.curve !== "secp256k1")
    throw new InvalidInputError("share", `${decoded.from} is not a secp256k1 key`);
  const present = entries.map((e) => e.loaded.envelope.payload.party);
  if (!isQualified(first.loaded.structure, present)) {
    throw new InvalidInputError(
      "shares",
      `not a qualified set: ${explainUnqualified(first.loaded.structure, present)}`,
    );
  }
  const registry = BurnRegistry.open(options.registryFile);
  registry.assertMaySign(decoded.from, decoded);
  const display = renderRequest(decoded);
  const confirmation = await confirm(decoded, options.confirm);
  await options.beforeUnlock?.();

  const unlocked: PartyKeys[] = [];
  try {
    const shares: PartyShare[] = [];
    for (const e of entries) {
      const keys = e.holder.unlock();
      unlocked.push(keys);
      shares.push(openShare(e.loaded, e.key, keys));
    }
    const secret = combineShares(secp256k1Group, first.loaded.structure, first.key.commitments, shares);
    const { signed } = await signEvmRequest(options.request, secret, { registry, confirmation });
    if (signed.from !== decoded.from) throw new RefusedError("KEY_MISMATCH", `signed as ${signed.from}`);
    const envelope = createEnvelope<SignedEvmPayload>("signed-transaction", {
      chain: "evm",
      chainId: decoded.chain.chainId,
      from: signed.from,
      digest: decoded.digest,
      raw: signed.raw,
      hash: signed.hash,
    });
    return { envelope, display, confirmation };
  } finally {
    for (const k of unlocked) k.wipe();
  }
}
