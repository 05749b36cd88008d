/**
 * Strict decoding of the only calls the hot key may make. Calldata is accepted only when it is
 * exactly what the Solidity ABI encoder produces for the decoded values (length, offsets,
 * padding): anything a lenient decoder would tolerate is refused.
 */
import { getAddress, id } from "ethers";

function selector(signature: string): string {
  return id(signature).slice(0, 10);
}

/** Selectors of the calls the signer may sign. */
export const SELECTORS = Object.freeze({
  createProxy: selector("createProxy(bytes32,address,address)"),
  lock: selector("lock(uint256)"),
  free: selector("free(uint256)"),
  freeAll: selector("freeAll()"),
  voteCandidates: selector("vote(address[])"),
  voteSlate: selector("vote(bytes32)"),
});

/** Well-known selectors that must never be signed, named so refusals are readable in the audit log. */
export const FORBIDDEN_SELECTORS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    [
      "rotateHot(address)",
      "rescue(address)",
      "rescueEth()",
      "approveChiefIou()",
      "transfer(address,uint256)",
      "transferFrom(address,address,uint256)",
      "approve(address,uint256)",
    ].map((s) => [selector(s), s]),
  ),
);

/** A decoded proxy call. */
export type ProxyCall =
  | { readonly kind: "lock" | "free"; readonly wad: bigint }
  | { readonly kind: "freeAll" }
  | { readonly kind: "voteCandidates"; readonly candidates: readonly string[] }
  | { readonly kind: "voteSlate"; readonly slate: string };

/** A decoded `createProxy(customerId, cold, hot)`. */
export interface CreateProxyCall {
  readonly customerId: string;
  readonly cold: string;
  readonly hot: string;
}

/** Why calldata was refused; the caller turns it into a policy refusal. */
export class CalldataError extends Error {
  constructor(
    readonly reason:
      | "EVM_UNKNOWN_SELECTOR"
      | "EVM_FORBIDDEN_CALL"
      | "EVM_BAD_CALLDATA"
      | "EVM_TOO_MANY_CANDIDATES",
    message: string,
  ) {
    super(message);
  }
}

// The four argument lists signed here are all static words or one address[]: their canonical
// encoding has exactly one form, checked word by word (what a generic decode followed by a
// re-encode and a comparison would accept, without building either).

const ZERO_PADDING = "0".repeat(24);
const OFFSET_ONE_WORD = "0".repeat(62) + "20";

function badCalldata(message: string): never {
  throw new CalldataError("EVM_BAD_CALLDATA", message);
}

/** The argument words after the selector, 64 lowercase hex characters each. */
function wordsOf(data: string, what: string): string[] {
  const body = data.slice(10).toLowerCase();
  if (body.length % 64 !== 0 || !/^[0-9a-f]*$/.test(body))
    badCalldata(`cannot decode ${what}: ${(body.length / 2).toString()} bytes are not whole 32-byte words`);
  const words: string[] = [];
  for (let i = 0; i < body.length; i += 64) words.push(body.slice(i, i + 64));
  return words;
}

function expectWords(words: readonly string[], count: number, what: string): void {
  if (words.length !== count)
    badCalldata(`non-canonical encoding of ${what}: ${words.length} words, expected ${count}`);
}

function addressWord(word: string, what: string): string {
  if (!word.startsWith(ZERO_PADDING)) badCalldata(`non-canonical encoding of ${what}: dirty address padding`);
  return getAddress("0x" + word.slice(24));
}

function decodeUint256(data: string): bigint {
  const words = wordsOf(data, "uint256");
  expectWords(words, 1, "uint256");
  return BigInt("0x" + words[0]!);
}

function decodeBytes32(data: string): string {
  const words = wordsOf(data, "bytes32");
  expectWords(words, 1, "bytes32");
  return "0x" + words[0]!;
}

/** Checksummed addresses of a canonical `address[]`: offset 0x20, length, then one word each. */
function decodeAddressArray(data: string): string[] {
  const words = wordsOf(data, "address[]");
  if (words.length < 2 || words[0] !== OFFSET_ONE_WORD)
    badCalldata("non-canonical encoding of address[]: the array must start right after its offset");
  if (BigInt("0x" + words[1]!) !== BigInt(words.length - 2))
    badCalldata(
      `non-canonical encoding of address[]: length word does not match ${words.length - 2} elements`,
    );
  return words.slice(2).map((w) => addressWord(w, "address[]"));
}

function selectorOf(data: string): string {
  if (data.length < 10)
    throw new CalldataError(
      "EVM_UNKNOWN_SELECTOR",
      `calldata of ${(data.length - 2) / 2} bytes has no selector`,
    );
  return data.slice(0, 10).toLowerCase();
}

function refuseUnknown(sel: string): never {
  const forbidden = FORBIDDEN_SELECTORS[sel];
  if (forbidden !== undefined)
    throw new CalldataError("EVM_FORBIDDEN_CALL", `${forbidden} is never signed by the hot signer`);
  throw new CalldataError("EVM_UNKNOWN_SELECTOR", `selector ${sel} is not lock/free/freeAll/vote`);
}

/**
 * Decodes calldata sent to a vote proxy.
 *
 * @throws {CalldataError} for any other selector or a non-canonical encoding.
 */
export function decodeProxyCall(data: string, maxCandidates: number): ProxyCall {
  const sel = selectorOf(data);
  switch (sel) {
    case SELECTORS.lock:
    case SELECTORS.free:
      return {
        kind: sel === SELECTORS.lock ? "lock" : "free",
        wad: decodeUint256(data),
      };
    case SELECTORS.freeAll:
      if (data.length !== 10) throw new CalldataError("EVM_BAD_CALLDATA", "freeAll() takes no arguments");
      return { kind: "freeAll" };
    case SELECTORS.voteCandidates: {
      const candidates = decodeAddressArray(data);
      if (candidates.length > maxCandidates) {
        throw new CalldataError(
          "EVM_TOO_MANY_CANDIDATES",
          `${candidates.length} candidates, at most ${maxCandidates}`,
        );
      }
      return { kind: "voteCandidates", candidates };
    }
    case SELECTORS.voteSlate:
      return { kind: "voteSlate", slate: decodeBytes32(data) };
    default:
      return refuseUnknown(sel);
  }
}

/**
 * Decodes calldata sent to a factory.
 *
 * @throws {CalldataError} for anything but a canonical `createProxy`.
 */
export function decodeFactoryCall(data: string): CreateProxyCall {
  const sel = selectorOf(data);
  if (sel !== SELECTORS.createProxy) return refuseUnknown(sel);
  const what = "bytes32,address,address";
  const words = wordsOf(data, what);
  expectWords(words, 3, what);
  return {
    customerId: "0x" + words[0]!,
    cold: addressWord(words[1]!, what),
    hot: addressWord(words[2]!, what),
  };
}
