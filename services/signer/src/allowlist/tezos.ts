/**
 * The Tezos half of the signer's own policy. It parses the forged operation bytes itself and
 * says yes only when every content is from this signer's tz1 and is a reveal of its own key,
 * a `%set_delegate` call (no tez) on a delegation contract it knows, or an origination of exactly
 * `tezos/contracts/delegation.tz` whose hot key is this signer, within fee and limit caps.
 */
import { LocalForger } from "@taquito/local-forging";
import { blake2b } from "@noble/hashes/blake2.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { PrefixV2, b58Encode, encodeKeyHash } from "@taquito/utils";
import { InvalidInputError, PolicyRefusedError } from "../errors.js";
import { delegationCode } from "../../../../tezos/src/contract.js";

/** Limits the operator configures (mutez, gas units, bytes). */
export interface TezosPolicyConfig {
  readonly maxFeeMutez: bigint;
  readonly maxGasLimit: bigint;
  readonly maxStorageLimit: bigint;
  /** When non-empty, the only bakers `%set_delegate` may choose. */
  readonly bakers: readonly string[];
}

/** What the signer knows at the time of the request. */
export interface TezosPolicyContext {
  /** `tz1...` of the signing key. */
  readonly pkh: string;
  /** `edpk...` of the signing key. */
  readonly publicKey: string;
  /** Hot key a known delegation contract belongs to (`"*"` for allowlisted ones). */
  readonly knownContract: (kt1: string) => string | undefined;
}

/** What one accepted content does. */
export type TezosIntent =
  | { readonly kind: "reveal" }
  | { readonly kind: "setDelegate"; readonly contract: string; readonly baker: string | null }
  | { readonly kind: "originate"; readonly cold: string; readonly hot: string; readonly index: number };

/** An accepted operation, ready to be signed. */
export interface TezosDecision {
  readonly intents: readonly TezosIntent[];
  /** blake2b-256(0x03 || bytes): what is signed. */
  readonly digest: Uint8Array;
  readonly bytes: Uint8Array;
}

const forger = new LocalForger();
const WATERMARK = 0x03;

type Node =
  | { prim?: string; args?: Node[]; annots?: string[]; string?: string; bytes?: string; int?: string }
  | Node[];

/** Key-order independent rendering of a Micheline node, for exact script comparison. */
export function canonicalMicheline(node: unknown): string {
  if (Array.isArray(node)) return `[${node.map(canonicalMicheline).join(",")}]`;
  if (node === null || typeof node !== "object") return JSON.stringify(node);
  const entries = Object.entries(node as Record<string, unknown>)
    .filter(([, v]) => !(Array.isArray(v) && v.length === 0))
    .sort(([a], [b]) => a.localeCompare(b));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalMicheline(v)}`).join(",")}}`;
}

let delegationCanonical: string | undefined;
function delegationScript(): string {
  delegationCanonical ??= canonicalMicheline(delegationCode());
  return delegationCanonical;
}

function keyHashOf(node: Node | undefined): string | undefined {
  if (node === undefined || Array.isArray(node)) return undefined;
  try {
    if (typeof node.string === "string" && /^tz[1234][1-9A-HJ-NP-Za-km-z]{33}$/.test(node.string))
      return node.string;
    if (typeof node.bytes === "string" && node.bytes.length === 42) return encodeKeyHash(node.bytes);
  } catch {
    return undefined;
  }
  return undefined;
}

function refuse(reason: string, message: string, field?: string, value?: string): never {
  throw new PolicyRefusedError(reason, message, field, value);
}

/**
 * Decides whether the hot key may sign `forgedHex`.
 *
 * @throws {InvalidInputError} naming `forgedBytes` when the bytes are not a forged operation.
 * @throws {PolicyRefusedError} with a stable `reason` for everything outside the allowlist.
 */
export async function checkTezosOperation(
  forgedHex: string,
  config: TezosPolicyConfig,
  ctx: TezosPolicyContext,
): Promise<TezosDecision> {
  if (typeof forgedHex !== "string" || !/^(0x)?([0-9a-fA-F]{2})+$/.test(forgedHex)) {
    throw new InvalidInputError("forgedBytes", String(forgedHex).slice(0, 80), "expected hex bytes");
  }
  const hex = forgedHex.replace(/^0x/, "").toLowerCase();
  let parsed: { branch: string; contents: Record<string, unknown>[] };
  try {
    parsed = (await forger.parse(hex)) as unknown as typeof parsed;
  } catch (err) {
    throw new InvalidInputError(
      "forgedBytes",
      hex.slice(0, 80),
      `not a forged operation: ${(err as Error).message.slice(0, 120)}`,
    );
  }
  // What is signed must be exactly what was decoded: no trailing or alternative encodings.
  let reforged: string;
  try {
    reforged = await forger.forge(parsed as never);
  } catch (err) {
    throw new InvalidInputError(
      "forgedBytes",
      hex.slice(0, 80),
      `not a forged operation: ${(err as Error).message.slice(0, 120)}`,
    );
  }
  if (reforged !== hex) refuse("TEZOS_NOT_CANONICAL", "operation encoding is not canonical", "forgedBytes");
  if (!Array.isArray(parsed.contents) || parsed.contents.length === 0)
    refuse("TEZOS_EMPTY", "no contents", "forgedBytes");

  const intents: TezosIntent[] = [];
  let originations = 0;
  parsed.contents.forEach((c, i) => {
    const field = `contents[${i}]`;
    const kind = String(c["kind"]);
    if (c["source"] !== ctx.pkh)
      refuse(
        "TEZOS_FOREIGN_SOURCE",
        `${field} source ${String(c["source"])} is not ${ctx.pkh}`,
        `${field}.source`,
        String(c["source"]),
      );
    for (const [name, cap] of [
      ["fee", config.maxFeeMutez],
      ["gas_limit", config.maxGasLimit],
      ["storage_limit", config.maxStorageLimit],
    ] as const) {
      const value = BigInt(String(c[name] ?? "0"));
      if (value > cap)
        refuse(
          `TEZOS_${name.toUpperCase()}`,
          `${field}.${name} ${value} above cap ${cap}`,
          `${field}.${name}`,
          value.toString(),
        );
    }
    switch (kind) {
      case "reveal":
        if (c["public_key"] !== ctx.publicKey)
          refuse(
            "TEZOS_FOREIGN_REVEAL",
            `${field} reveals another key`,
            `${field}.public_key`,
            String(c["public_key"]),
          );
        intents.push({ kind: "reveal" });
        return;
      case "transaction":
        intents.push(checkSetDelegate(c, field, config, ctx));
        return;
      case "origination":
        intents.push(checkOrigination(c, field, config, ctx, originations++));
        return;
      default:
        refuse(
          "TEZOS_KIND",
          `${field} is a ${kind}; only reveal, set_delegate calls and delegation originations are signed`,
          `${field}.kind`,
          kind,
        );
    }
  });

  const bytes = hexToBytes(hex);
  const payload = new Uint8Array(bytes.length + 1);
  payload[0] = WATERMARK;
  payload.set(bytes, 1);
  return { intents, bytes, digest: blake2b(payload, { dkLen: 32 }) };
}

function checkSetDelegate(
  c: Record<string, unknown>,
  field: string,
  config: TezosPolicyConfig,
  ctx: TezosPolicyContext,
): TezosIntent {
  const destination = String(c["destination"]);
  if (c["amount"] !== "0")
    refuse(
      "TEZOS_AMOUNT",
      `${field} sends ${String(c["amount"])} mutez; only 0 is signed`,
      `${field}.amount`,
      String(c["amount"]),
    );
  const hot = ctx.knownContract(destination);
  if (hot === undefined)
    refuse(
      "TEZOS_UNKNOWN_CONTRACT",
      `${field} calls ${destination}, not a known delegation contract`,
      `${field}.destination`,
      destination,
    );
  if (hot !== "*" && hot !== ctx.pkh)
    refuse(
      "TEZOS_CONTRACT_OTHER_KEY",
      `${destination} belongs to hot key ${hot}`,
      `${field}.destination`,
      destination,
    );
  const params = c["parameters"] as { entrypoint?: string; value?: Node } | undefined;
  const entrypoint = params?.entrypoint ?? "default";
  if (entrypoint !== "set_delegate")
    refuse(
      "TEZOS_ENTRYPOINT",
      `${field} calls %${entrypoint}; only %set_delegate is signed`,
      `${field}.parameters.entrypoint`,
      entrypoint,
    );
  const value = params?.value;
  let baker: string | null;
  if (
    value !== undefined &&
    !Array.isArray(value) &&
    value.prim === "None" &&
    (value.args ?? []).length === 0
  )
    baker = null;
  else if (
    value !== undefined &&
    !Array.isArray(value) &&
    value.prim === "Some" &&
    value.args?.length === 1
  ) {
    const kh = keyHashOf(value.args[0]);
    if (kh === undefined)
      refuse("TEZOS_BAD_PARAMETER", `${field} delegate is not a key hash`, `${field}.parameters.value`);
    baker = kh;
  } else
    refuse(
      "TEZOS_BAD_PARAMETER",
      `${field} parameter is not an option key_hash`,
      `${field}.parameters.value`,
    );
  if (baker !== null && config.bakers.length > 0 && !config.bakers.includes(baker)) {
    refuse("TEZOS_BAKER", `${baker} is not an allowed baker`, `${field}.parameters.value`, baker);
  }
  return { kind: "setDelegate", contract: destination, baker };
}

function checkOrigination(
  c: Record<string, unknown>,
  field: string,
  config: TezosPolicyConfig,
  ctx: TezosPolicyContext,
  index: number,
): TezosIntent {
  if (c["balance"] !== "0")
    refuse(
      "TEZOS_AMOUNT",
      `${field} funds the contract with ${String(c["balance"])} mutez; only 0 is signed`,
      `${field}.balance`,
      String(c["balance"]),
    );
  const delegate = c["delegate"];
  if (delegate !== undefined && config.bakers.length > 0 && !config.bakers.includes(String(delegate))) {
    refuse(
      "TEZOS_BAKER",
      `${String(delegate)} is not an allowed baker`,
      `${field}.delegate`,
      String(delegate),
    );
  }
  const script = c["script"] as { code?: unknown; storage?: Node } | undefined;
  if (canonicalMicheline(script?.code) !== delegationScript())
    refuse("TEZOS_FOREIGN_SCRIPT", `${field} is not the delegation contract`, `${field}.script.code`);
  const storage = script?.storage;
  const pair =
    storage !== undefined && !Array.isArray(storage) && storage.prim === "Pair" && storage.args?.length === 2
      ? storage.args
      : undefined;
  const cold = keyHashOf(pair?.[0]);
  const hot = keyHashOf(pair?.[1]);
  if (cold === undefined || hot === undefined)
    refuse("TEZOS_BAD_STORAGE", `${field} storage is not Pair cold hot`, `${field}.script.storage`);
  if (hot !== ctx.pkh)
    refuse(
      "TEZOS_HOT_MISMATCH",
      `${field} hot ${hot} is not this key ${ctx.pkh}`,
      `${field}.script.storage`,
      hot,
    );
  if (cold === hot)
    refuse("TEZOS_BAD_COLD", `${field} cold equals the hot key`, `${field}.script.storage`, cold);
  return { kind: "originate", cold, hot, index };
}

/**
 * KT1 address of the `index`-th origination of a signed operation, as the protocol derives it:
 * blake2b-160 of the operation hash followed by the index (uint32 big-endian).
 */
export function originatedAddress(bytes: Uint8Array, signature: Uint8Array, index: number): string {
  const signed = new Uint8Array(bytes.length + signature.length);
  signed.set(bytes);
  signed.set(signature, bytes.length);
  const opHash = blake2b(signed, { dkLen: 32 });
  const nonce = new Uint8Array(36);
  nonce.set(opHash);
  new DataView(nonce.buffer).setUint32(32, index, false);
  return b58Encode(blake2b(nonce, { dkLen: 20 }), PrefixV2.ContractHash);
}

/** Hex helper for audit records. */
export function digestHex(d: Uint8Array): string {
  return bytesToHex(d);
}
