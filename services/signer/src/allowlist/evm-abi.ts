/**
 * Strict decoding of the only calls the hot key may make. Calldata is accepted only when it is
 * exactly what the Solidity ABI encoder produces for the decoded values (length, offsets,
 * padding): anything a lenient decoder would tolerate is refused.
 */
import { AbiCoder, getAddress, id } from "ethers";

const coder = AbiCoder.defaultAbiCoder();

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

function decodeExact(types: string[], data: string): unknown[] {
  const body = "0x" + data.slice(10);
  let values: unknown[];
  try {
    // Deep conversion inside the try: ethers defers some decoding errors until a value is read.
    values = coder.decode(types, body).toArray(true);
  } catch (err) {
    throw new CalldataError(
      "EVM_BAD_CALLDATA",
      `cannot decode ${types.join(",")}: ${(err as Error).message}`,
    );
  }
  // Re-encoding must give back the same bytes: refuses trailing bytes, dirty padding, odd offsets.
  if (coder.encode(types, values).toLowerCase() !== body.toLowerCase()) {
    throw new CalldataError("EVM_BAD_CALLDATA", `non-canonical encoding of ${types.join(",")}`);
  }
  return values;
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
        wad: decodeExact(["uint256"], data)[0] as bigint,
      };
    case SELECTORS.freeAll:
      if (data.length !== 10) throw new CalldataError("EVM_BAD_CALLDATA", "freeAll() takes no arguments");
      return { kind: "freeAll" };
    case SELECTORS.voteCandidates: {
      const candidates = (decodeExact(["address[]"], data)[0] as string[]).map((a) => getAddress(a));
      if (candidates.length > maxCandidates) {
        throw new CalldataError(
          "EVM_TOO_MANY_CANDIDATES",
          `${candidates.length} candidates, at most ${maxCandidates}`,
        );
      }
      return { kind: "voteCandidates", candidates };
    }
    case SELECTORS.voteSlate:
      return { kind: "voteSlate", slate: decodeExact(["bytes32"], data)[0] as string };
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
  const [customerId, cold, hot] = decodeExact(["bytes32", "address", "address"], data) as [
    string,
    string,
    string,
  ];
  return { customerId, cold: getAddress(cold), hot: getAddress(hot) };
}
