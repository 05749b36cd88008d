import { keccak_256 } from "@noble/hashes/sha3.js";
import { InvalidInputError } from "../../errors.js";
import {
  bigintToFixedBytes,
  bytesToBigint,
  concatBytes,
  maxUint,
  parseHex,
  parseUint,
  toHex,
} from "../hex.js";
import { checksumAddress, parseAddress } from "./address.js";

/** The only ABI types cold signing needs. */
export type AbiType = "address" | "uint256";

interface CallSpec {
  readonly name: string;
  readonly params: readonly { readonly name: string; readonly type: AbiType }[];
  /** Who the call is addressed to, for the display. */
  readonly target: "vote proxy" | "ERC-20 token";
}

/**
 * Calls the toolkit knows how to decode. Everything that moves value out of a vote proxy goes to
 * its cold address by construction, so these are the calls a cold key needs.
 */
export const KNOWN_CALLS = Object.freeze({
  freeAll: { name: "freeAll", params: [], target: "vote proxy" },
  free: { name: "free", params: [{ name: "wad", type: "uint256" }], target: "vote proxy" },
  rescue: { name: "rescue", params: [{ name: "token", type: "address" }], target: "vote proxy" },
  rescueEth: { name: "rescueEth", params: [], target: "vote proxy" },
  rotateHot: { name: "rotateHot", params: [{ name: "newHot", type: "address" }], target: "vote proxy" },
  transfer: {
    name: "transfer",
    params: [
      { name: "to", type: "address" },
      { name: "amount", type: "uint256" },
    ],
    target: "ERC-20 token",
  },
} as const satisfies Record<string, CallSpec>);

/** Name of a call the toolkit can encode and decode. */
export type KnownCallName = keyof typeof KNOWN_CALLS;

/** Canonical signature, e.g. `transfer(address,uint256)`. */
export function callSignature(name: KnownCallName): string {
  const spec: CallSpec = KNOWN_CALLS[name];
  return `${spec.name}(${spec.params.map((p) => p.type).join(",")})`;
}

/** First four bytes of keccak256 of a function signature, as `0x` hex. */
export function selectorOf(signature: string): string {
  return toHex(keccak_256(new TextEncoder().encode(signature)).subarray(0, 4));
}

const BY_SELECTOR: ReadonlyMap<string, KnownCallName> = new Map(
  (Object.keys(KNOWN_CALLS) as KnownCallName[]).map((n) => [selectorOf(callSignature(n)), n]),
);

/** A decoded argument: its name, type and canonical value (EIP-55 address or decimal). */
export interface DecodedArg {
  readonly name: string;
  readonly type: AbiType;
  readonly value: string;
}

/** What the calldata of a transaction says. */
export type DecodedCall =
  | { readonly kind: "none" }
  | {
      readonly kind: "known";
      readonly name: KnownCallName;
      readonly signature: string;
      readonly selector: string;
      readonly target: CallSpec["target"];
      readonly args: readonly DecodedArg[];
    }
  | { readonly kind: "unknown"; readonly selector: string; readonly length: number };

/**
 * ABI-encodes one of the known calls.
 *
 * @throws InvalidInputError naming the argument (e.g. `args.to`) when it is missing or invalid.
 * @example
 * encodeCall("transfer", { to: "0x…", amount: "1000" }); // "0xa9059cbb…"
 */
export function encodeCall(name: KnownCallName, args: Record<string, string | bigint> = {}): string {
  const spec: CallSpec | undefined = KNOWN_CALLS[name];
  if (spec === undefined) throw new InvalidInputError("call", `unknown call ${String(name)}`);
  const extra = Object.keys(args).filter((k) => !spec.params.some((p) => p.name === k));
  if (extra.length > 0)
    throw new InvalidInputError(`args.${extra[0]}`, `not a parameter of ${callSignature(name)}`);
  const words = spec.params.map((p) => {
    const field = `args.${p.name}`;
    const value = args[p.name];
    if (p.type === "address") {
      return bigintToFixedBytes(
        bytesToBigint(parseHex(field, parseAddress(field, value).toLowerCase(), 20)),
        32,
      );
    }
    return bigintToFixedBytes(parseUint(field, value, maxUint(256)), 32);
  });
  return toHex(concatBytes(parseHex("selector", selectorOf(callSignature(name))), ...words));
}

/**
 * Decodes calldata. Empty data is a plain value transfer; a known selector must be followed by
 * exactly its arguments, canonically encoded; anything else is reported as an unknown call,
 * which the display flags and refuses unless explicitly allowed.
 *
 * @throws InvalidInputError (field `data`) for a known selector with malformed arguments: such
 *   data is refused rather than shown as something it may not be.
 */
export function decodeCall(data: string | Uint8Array): DecodedCall {
  const bytes = typeof data === "string" ? parseHex("data", data) : data;
  if (bytes.length === 0) return Object.freeze({ kind: "none" });
  if (bytes.length < 4)
    return Object.freeze({ kind: "unknown", selector: toHex(bytes), length: bytes.length });
  const selector = toHex(bytes.subarray(0, 4));
  const name = BY_SELECTOR.get(selector);
  if (name === undefined) return Object.freeze({ kind: "unknown", selector, length: bytes.length });
  const spec: CallSpec = KNOWN_CALLS[name];
  const signature = callSignature(name);
  if (bytes.length !== 4 + 32 * spec.params.length) {
    throw new InvalidInputError("data", `${signature} expects ${32 * spec.params.length} argument bytes`);
  }
  const args = spec.params.map((p, i): DecodedArg => {
    const word = bytes.subarray(4 + 32 * i, 36 + 32 * i);
    if (p.type === "address") {
      if (word.subarray(0, 12).some((b) => b !== 0)) {
        throw new InvalidInputError("data", `${signature}: argument ${p.name} is not a clean address`);
      }
      return { name: p.name, type: p.type, value: checksumAddress(toHex(word.subarray(12))) };
    }
    return { name: p.name, type: p.type, value: bytesToBigint(word).toString() };
  });
  return Object.freeze({
    kind: "known",
    name,
    signature,
    selector,
    target: spec.target,
    args: Object.freeze(args),
  });
}

/** Value of a named argument of a decoded known call. */
export function callArg(call: DecodedCall, name: string): string | undefined {
  return call.kind === "known" ? call.args.find((a) => a.name === name)?.value : undefined;
}
