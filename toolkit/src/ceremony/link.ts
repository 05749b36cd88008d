import { InvalidInputError, RefusedError } from "../errors.js";
import { BurnRegistry } from "../chains/burn-registry.js";
import { readTranscript } from "./transcript.js";
import { verifyTranscript } from "./verify.js";

/** One registration made by {@link linkCeremonies}. */
export interface LinkRecord {
  readonly chain: "evm" | "tezos";
  readonly key: string;
  readonly successor: string;
}

/**
 * Activates the successor keys of an earlier ceremony: after the sweep, the funds sit on the
 * earlier ceremony's successor, which was born without a successor of its own and therefore may
 * not sign. A later ceremony generates a fresh current key (with its own successor); this links
 * them in the recovery kit's burn registry: earlier successor -> later current key, and later
 * current key -> later successor. Both transcripts are fully verified first.
 *
 * The earlier successor can then sign once and afterwards only sweep to the later current key,
 * so every key that can sign still has a sweep destination fixed before it signs.
 *
 * @throws {IntegrityError} when either transcript does not verify
 * @throws {InvalidInputError} when the later ceremony lacks a current key for a chain of the
 *   earlier one, or reuses a key of the earlier ceremony
 * @throws {RefusedError} SUCCESSOR_ALREADY_RECORDED when a key was already linked elsewhere
 */
export function linkCeremonies(options: {
  previousTranscript: string;
  nextTranscript: string;
  registryFile: string;
}): LinkRecord[] {
  verifyTranscript(options.previousTranscript);
  verifyTranscript(options.nextTranscript);
  const previous = readTranscript(options.previousTranscript).payload.body;
  const next = readTranscript(options.nextTranscript).payload.body;
  if (previous.ceremonyId === next.ceremonyId) throw new InvalidInputError("next", "is the same ceremony");
  const earlier = new Set(previous.keys.map((k) => k.address));
  const registry = BurnRegistry.open(options.registryFile);
  const records: LinkRecord[] = [];
  for (const old of previous.keys.filter((k) => k.role === "successor")) {
    const current = next.keys.find((k) => k.chain === old.chain && k.role === "current");
    if (current === undefined || current.successor === undefined) {
      throw new InvalidInputError("next", `has no current ${old.chain} key to follow ${old.address}`);
    }
    if (earlier.has(current.address) || earlier.has(current.successor)) {
      throw new InvalidInputError("next", `reuses a key of the earlier ceremony (${current.address})`);
    }
    if (registry.isBurned(current.address)) {
      throw new RefusedError("KEY_BURNED", `${current.address} has already signed`);
    }
    registry.registerKey({ keyId: old.address, successor: current.address });
    records.push({ chain: old.chain, key: old.address, successor: current.address });
    registry.registerKey({ keyId: current.address, successor: current.successor });
    records.push({ chain: current.chain, key: current.address, successor: current.successor });
  }
  return records;
}
