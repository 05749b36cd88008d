/**
 * The delegation contract as data: its source, its Micheline form, storage encoding and the
 * failure values it raises.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Parser } from "@taquito/michel-codec";
import { encodeKeyHash } from "@taquito/utils";

/** Absolute path of `tezos/contracts/delegation.tz`. */
export const DELEGATION_CONTRACT_PATH = fileURLToPath(new URL("../contracts/delegation.tz", import.meta.url));

/** The FAILWITH strings of the contract. */
export const DELEGATION_ERRORS = Object.freeze({
  notCold: "NOT_COLD",
  notHotOrCold: "NOT_HOT_OR_COLD",
  tezNotAllowed: "TEZ_NOT_ALLOWED",
  zeroAmount: "ZERO_AMOUNT",
  insufficientBalance: "INSUFFICIENT_BALANCE",
});

/** A Micheline node, as Taquito and the node RPC exchange it. */
export type Micheline =
  | { prim: string; args?: Micheline[]; annots?: string[] }
  | { int: string }
  | { string: string }
  | { bytes: string }
  | Micheline[];

/** Decoded storage of a delegation contract. */
export interface DelegationStorage {
  readonly cold: string;
  readonly hot: string;
}

/** The contract's Michelson source text. */
export function delegationSource(): string {
  return readFileSync(DELEGATION_CONTRACT_PATH, "utf8");
}

/** The contract as Micheline (`[parameter, storage, code]`), ready for origination. */
export function delegationCode(): Micheline[] {
  const script = new Parser().parseScript(delegationSource());
  if (script === null) throw new Error(`empty contract file ${DELEGATION_CONTRACT_PATH}`);
  return script as unknown as Micheline[];
}

/** Initial storage `Pair "<cold>" "<hot>"`. Inputs must already be validated. */
export function delegationStorage(storage: DelegationStorage): Micheline {
  return { prim: "Pair", args: [{ string: storage.cold }, { string: storage.hot }] };
}

function keyHashOf(node: Micheline | undefined): string {
  if (node !== undefined && !Array.isArray(node)) {
    if ("string" in node) return node.string;
    // Optimized form: 21 bytes, a curve tag then the 20-byte hash.
    if ("bytes" in node) return encodeKeyHash(node.bytes);
  }
  throw new Error(`unexpected key_hash in storage: ${JSON.stringify(node)}`);
}

/**
 * Decodes storage as the RPC returns it (readable strings or optimized bytes).
 *
 * @throws {Error} when it is not a delegation contract's storage.
 */
export function parseDelegationStorage(node: unknown): DelegationStorage {
  const n = node as Micheline;
  if (Array.isArray(n) && n.length === 2) return { cold: keyHashOf(n[0]), hot: keyHashOf(n[1]) };
  if (!Array.isArray(n) && "prim" in n && n.prim === "Pair" && n.args?.length === 2) {
    return { cold: keyHashOf(n.args[0]), hot: keyHashOf(n.args[1]) };
  }
  throw new Error(`not a delegation contract storage: ${JSON.stringify(node)}`);
}
