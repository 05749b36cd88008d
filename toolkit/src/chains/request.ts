import { emitMicheline, type Expr } from "@taquito/michel-codec";
import { InvalidInputError, IntegrityError, SummaryMismatchError } from "../errors.js";
import { parseHex, toHex } from "./hex.js";
import { parseAddress } from "./evm/address.js";
import { decodeCall, type DecodedCall } from "./evm/abi.js";
import {
  decodeUnsignedTransaction,
  encodeUnsignedTransaction,
  normaliseTransaction,
  transactionSigningHash,
  type Eip1559Transaction,
  type Eip1559TransactionInput,
} from "./evm/transaction.js";
import { parseChainId } from "./tezos/base58.js";
import {
  forgeOperation,
  normaliseOperation,
  operationSigningHash,
  parseForgedOperation,
  type TezosManagerOperation,
  type TezosOperation,
  type TezosOperationInput,
} from "./tezos/operation.js";

/**
 * Networks whose names the toolkit knows from their ids. A request may name a network, but a name
 * that contradicts a known id is refused: "mainnet" must not label a test chain or vice versa.
 */
export const KNOWN_NETWORKS: Readonly<Record<string, string>> = Object.freeze({
  "1": "mainnet",
  "11155111": "sepolia",
  "17000": "holesky",
  "560048": "hoodi",
  "31337": "hardhat",
  NetXdQprcVkpaWU: "mainnet",
  NetXnHfVqm9iesp: "ghostnet",
});

/** Version of the request format this module reads and writes. */
export const REQUEST_VERSION = 1;

/** Network of an EVM request. `chainId` must equal the chain id inside the transaction bytes. */
export interface EvmChainInfo {
  readonly family: "evm";
  readonly chainId: string;
  readonly name?: string;
}

/**
 * Network of a Tezos request. The chain id is not part of the signed bytes (the branch is, and
 * a branch exists on one chain only), so it is shown as stated by the request.
 */
export interface TezosChainInfo {
  readonly family: "tezos";
  readonly chainId: string;
  readonly name?: string;
}

/** Human-readable fields of an EVM request; every one is re-derived from the bytes except `from`. */
export interface EvmSummary {
  readonly chainId: string;
  /** The cold address expected to sign: checked against the key before signing. */
  readonly from: string;
  readonly to: string;
  readonly nonce: string;
  /** Wei. */
  readonly value: string;
  readonly maxFeePerGas: string;
  readonly maxPriorityFeePerGas: string;
  readonly gasLimit: string;
  /** `none` (plain transfer), a known signature such as `transfer(address,uint256)`, or `unknown 0x…`. */
  readonly call: string;
  readonly args: Readonly<Record<string, string>>;
}

/** Human-readable fields of one Tezos manager operation. */
export interface TezosOperationSummary {
  readonly kind: "reveal" | "transaction";
  readonly counter: string;
  /** Mutez. */
  readonly fee: string;
  readonly gasLimit: string;
  readonly storageLimit: string;
  readonly destination?: string;
  /** Mutez. */
  readonly amount?: string;
  /** `default` for a plain transfer. */
  readonly entrypoint?: string;
  /** The parameter in Michelson notation, `Unit` for a plain transfer. */
  readonly parameter?: string;
  readonly publicKey?: string;
}

/** Human-readable fields of a Tezos request, all re-derived from the forged bytes. */
export interface TezosSummary {
  readonly branch: string;
  readonly source: string;
  readonly operations: readonly TezosOperationSummary[];
}

/** Display metadata the bytes cannot prove; shown as unverified hints. */
export interface RequestHints {
  /** ERC-20 metadata by token address (any case). */
  readonly tokens?: Readonly<Record<string, { readonly symbol: string; readonly decimals: number }>>;
}

/** A prepared EVM cold-withdrawal request. */
export interface EvmColdRequest {
  readonly version: 1;
  readonly kind: "evm-transaction";
  readonly chain: EvmChainInfo;
  /** `0x02…` unsigned EIP-1559 transaction. */
  readonly unsigned: string;
  readonly summary: EvmSummary;
  /** keccak256 of `unsigned`: the transaction's signing hash. */
  readonly digest: string;
  readonly hints?: RequestHints;
}

/** A prepared Tezos cold-withdrawal request. */
export interface TezosColdRequest {
  readonly version: 1;
  readonly kind: "tezos-operation";
  readonly chain: TezosChainInfo;
  /** Forged operation bytes (no watermark). */
  readonly unsigned: string;
  readonly summary: TezosSummary;
  /** blake2b-256(0x03 || unsigned): what the Ed25519 signature covers. */
  readonly digest: string;
  readonly hints?: RequestHints;
}

/** Either kind of prepared request. */
export type ColdRequest = EvmColdRequest | TezosColdRequest;

/** An EVM request whose summary was derived from its bytes. */
export interface DecodedEvmRequest {
  readonly kind: "evm-transaction";
  readonly chain: EvmChainInfo;
  readonly digest: string;
  readonly unsigned: Uint8Array;
  readonly tx: Eip1559Transaction;
  readonly call: DecodedCall;
  readonly from: string;
  readonly summary: EvmSummary;
  readonly hints: RequestHints;
}

/** A Tezos request whose summary was derived from its bytes. */
export interface DecodedTezosRequest {
  readonly kind: "tezos-operation";
  readonly chain: TezosChainInfo;
  readonly digest: string;
  readonly forged: Uint8Array;
  readonly operation: TezosOperation;
  readonly summary: TezosSummary;
  readonly hints: RequestHints;
}

/** A request decoded from its bytes; the only input the display and the signers accept. */
export type DecodedRequest = DecodedEvmRequest | DecodedTezosRequest;

function callSummary(call: DecodedCall): { call: string; args: Record<string, string> } {
  if (call.kind === "none") return { call: "none", args: {} };
  if (call.kind === "unknown") return { call: `unknown ${call.selector}`, args: {} };
  return { call: call.signature, args: Object.fromEntries(call.args.map((a) => [a.name, a.value])) };
}

function evmSummary(tx: Eip1559Transaction, from: string, call: DecodedCall): EvmSummary {
  return {
    chainId: tx.chainId.toString(),
    from,
    to: tx.to,
    nonce: tx.nonce.toString(),
    value: tx.value.toString(),
    maxFeePerGas: tx.maxFeePerGas.toString(),
    maxPriorityFeePerGas: tx.maxPriorityFeePerGas.toString(),
    gasLimit: tx.gasLimit.toString(),
    ...callSummary(call),
  };
}

function operationSummary(op: TezosManagerOperation): TezosOperationSummary {
  const common = {
    kind: op.kind,
    counter: op.counter.toString(),
    fee: op.fee.toString(),
    gasLimit: op.gasLimit.toString(),
    storageLimit: op.storageLimit.toString(),
  };
  if (op.kind === "reveal") return { ...common, publicKey: op.publicKey };
  return {
    ...common,
    destination: op.destination,
    amount: op.amount.toString(),
    entrypoint: op.parameters?.entrypoint ?? "default",
    parameter: op.parameters === undefined ? "Unit" : emitMicheline(op.parameters.value as unknown as Expr),
  };
}

function tezosSummary(op: TezosOperation): TezosSummary {
  return {
    branch: op.branch,
    source: op.contents[0]?.source ?? "",
    operations: op.contents.map(operationSummary),
  };
}

function flatten(value: unknown, path: string, out: Map<string, unknown>): void {
  if (Array.isArray(value)) {
    out.set(`${path}.length`, String(value.length));
    value.forEach((v, i) => flatten(v, `${path}[${i}]`, out));
  } else if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value);
    if (keys.length === 0) out.set(path, "{}");
    for (const k of keys) flatten((value as Record<string, unknown>)[k], `${path}.${k}`, out);
  } else {
    out.set(path, value);
  }
}

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

function sameValue(provided: unknown, decoded: unknown): boolean {
  if (typeof provided !== "string" || typeof decoded !== "string") return provided === decoded;
  // EVM addresses: a summary may spell them in any case; the bytes fix the address, not its case.
  if (ADDRESS_RE.test(provided) && ADDRESS_RE.test(decoded))
    return provided.toLowerCase() === decoded.toLowerCase();
  return provided === decoded;
}

function show(v: unknown): string {
  return v === undefined ? "(absent)" : typeof v === "string" ? v : JSON.stringify(v);
}

/**
 * Compares a provided summary with the one derived from the bytes, field by field; extra and
 * missing fields count as differences.
 *
 * @throws SummaryMismatchError naming the first differing field.
 */
export function assertSummaryMatches(provided: unknown, decoded: object, root = "summary"): void {
  if (typeof provided !== "object" || provided === null || Array.isArray(provided)) {
    throw new InvalidInputError(root, "expected an object");
  }
  const p = new Map<string, unknown>();
  const d = new Map<string, unknown>();
  flatten(provided, root, p);
  flatten(decoded, root, d);
  for (const [path, value] of d) {
    if (!sameValue(p.get(path), value)) throw new SummaryMismatchError(path, show(p.get(path)), show(value));
  }
  for (const [path, value] of p) {
    if (!d.has(path)) throw new SummaryMismatchError(path, show(value), "(absent)");
  }
}

function checkHints(value: unknown): RequestHints {
  if (value === undefined) return Object.freeze({});
  if (typeof value !== "object" || value === null) throw new InvalidInputError("hints", "expected an object");
  const tokens = (value as { tokens?: unknown }).tokens;
  if (tokens === undefined) return Object.freeze({});
  if (typeof tokens !== "object" || tokens === null)
    throw new InvalidInputError("hints.tokens", "expected an object");
  const out: Record<string, { symbol: string; decimals: number }> = {};
  for (const [addr, meta] of Object.entries(tokens as Record<string, unknown>)) {
    const field = `hints.tokens.${addr}`;
    const address = parseAddress(field, addr).toLowerCase();
    const m = meta as { symbol?: unknown; decimals?: unknown };
    if (typeof m?.symbol !== "string" || !/^[A-Za-z0-9.$_-]{1,16}$/.test(m.symbol)) {
      throw new InvalidInputError(`${field}.symbol`, "expected 1 to 16 letters, digits or .$_-");
    }
    if (
      typeof m.decimals !== "number" ||
      !Number.isInteger(m.decimals) ||
      m.decimals < 0 ||
      m.decimals > 36
    ) {
      throw new InvalidInputError(`${field}.decimals`, "expected an integer from 0 to 36");
    }
    out[address] = Object.freeze({ symbol: m.symbol, decimals: m.decimals });
  }
  return Object.freeze({ tokens: Object.freeze(out) });
}

function checkName(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^[A-Za-z0-9 ._-]{1,40}$/.test(value)) {
    throw new InvalidInputError(field, "expected 1 to 40 letters, digits, spaces or ._-");
  }
  return value;
}

function checkNetworkName(chainId: string, name: string | undefined): void {
  const known = KNOWN_NETWORKS[chainId];
  if (known !== undefined && name !== undefined && name.toLowerCase() !== known) {
    throw new SummaryMismatchError("chain.name", name, `${known} (chain id ${chainId})`);
  }
}

function checkDigest(provided: unknown, computed: string): void {
  const given = toHex(parseHex("digest", provided, 32));
  if (given !== computed)
    throw new IntegrityError("digest", `request says ${given} but its bytes hash to ${computed}`);
}

function decodeEvm(r: Record<string, unknown>): DecodedEvmRequest {
  const chainIn = r.chain as Record<string, unknown>;
  const unsigned = parseHex("unsigned", r.unsigned);
  const tx = decodeUnsignedTransaction(unsigned, "unsigned");
  const digest = toHex(transactionSigningHash(tx));
  checkDigest(r.digest, digest);
  if (typeof chainIn.chainId !== "string")
    throw new InvalidInputError("chain.chainId", "expected a decimal string");
  if (chainIn.chainId !== tx.chainId.toString()) {
    throw new SummaryMismatchError("chain.chainId", chainIn.chainId, tx.chainId.toString());
  }
  const name = checkName("chain.name", chainIn.name);
  checkNetworkName(chainIn.chainId, name);
  const chain: EvmChainInfo = Object.freeze({
    family: "evm",
    chainId: chainIn.chainId,
    ...(name ? { name } : {}),
  });
  const summaryIn = r.summary as Record<string, unknown> | undefined;
  const from = parseAddress("summary.from", summaryIn?.from);
  const call = decodeCall(tx.data);
  const summary = evmSummary(tx, from, call);
  assertSummaryMatches(summaryIn, summary);
  const hints = checkHints(r.hints);
  return Object.freeze({ kind: "evm-transaction", chain, digest, unsigned, tx, call, from, summary, hints });
}

async function decodeTezos(r: Record<string, unknown>): Promise<DecodedTezosRequest> {
  const chainIn = r.chain as Record<string, unknown>;
  const forged = parseHex("unsigned", r.unsigned);
  if (forged.length === 0) throw new InvalidInputError("unsigned", "empty operation");
  const operation = await parseForgedOperation(forged);
  const digest = toHex(operationSigningHash(forged));
  checkDigest(r.digest, digest);
  const chainId = parseChainId("chain.chainId", chainIn.chainId);
  const name = checkName("chain.name", chainIn.name);
  checkNetworkName(chainId, name);
  const chain: TezosChainInfo = Object.freeze({ family: "tezos", chainId, ...(name ? { name } : {}) });
  const summary = tezosSummary(operation);
  assertSummaryMatches(r.summary, summary);
  if (r.hints !== undefined) throw new InvalidInputError("hints", "Tezos requests carry no hints");
  return Object.freeze({
    kind: "tezos-operation",
    chain,
    digest,
    forged,
    operation,
    summary,
    hints: Object.freeze({}),
  });
}

const FAMILY = { "evm-transaction": "evm", "tezos-operation": "tezos" } as const;

/**
 * Decodes a prepared request and re-derives its summary from the bytes. The provided summary is
 * never trusted: any field that differs is refused, as is a digest that is not the hash of the
 * bytes.
 *
 * @throws InvalidInputError naming the field for a malformed request or bytes.
 * @throws SummaryMismatchError (code `SUMMARY_MISMATCH`) naming the differing summary field.
 * @throws IntegrityError (subject `digest`) when the digest is not the hash of the bytes.
 * @example
 * const decoded = await decodeRequest(JSON.parse(readFileSync("request.json", "utf8")));
 */
export async function decodeRequest(request: unknown): Promise<DecodedRequest> {
  if (typeof request !== "object" || request === null)
    throw new InvalidInputError("request", "expected an object");
  const r = request as Record<string, unknown>;
  const allowed = new Set(["version", "kind", "chain", "unsigned", "summary", "digest", "hints"]);
  for (const k of Object.keys(r))
    if (!allowed.has(k)) throw new InvalidInputError(k, "unknown request field");
  if (r.version !== REQUEST_VERSION) {
    throw new InvalidInputError("version", `expected ${REQUEST_VERSION}, got ${JSON.stringify(r.version)}`);
  }
  if (r.kind !== "evm-transaction" && r.kind !== "tezos-operation") {
    throw new InvalidInputError("kind", 'expected "evm-transaction" or "tezos-operation"');
  }
  const chain = r.chain as Record<string, unknown> | undefined;
  if (typeof chain !== "object" || chain === null) throw new InvalidInputError("chain", "expected an object");
  for (const k of Object.keys(chain)) {
    if (k !== "family" && k !== "chainId" && k !== "name")
      throw new InvalidInputError(`chain.${k}`, "unknown chain field");
  }
  if (chain.family !== FAMILY[r.kind]) {
    throw new InvalidInputError("chain.family", `expected "${FAMILY[r.kind]}" for a ${r.kind} request`);
  }
  return r.kind === "evm-transaction" ? decodeEvm(r) : decodeTezos(r);
}

/**
 * Prepares an EVM request (what the custody service does): validates the transaction, derives
 * the summary and digest from the encoded bytes.
 *
 * @throws InvalidInputError naming the invalid field.
 */
export function buildEvmRequest(params: {
  tx: Eip1559TransactionInput;
  from: string;
  chainName?: string;
  hints?: RequestHints;
}): EvmColdRequest {
  const tx = normaliseTransaction(params.tx);
  const from = parseAddress("from", params.from);
  const name = checkName("chainName", params.chainName);
  const hints = checkHints(params.hints);
  const unsigned = encodeUnsignedTransaction(tx);
  return {
    version: 1,
    kind: "evm-transaction",
    chain: { family: "evm", chainId: tx.chainId.toString(), ...(name ? { name } : {}) },
    unsigned: toHex(unsigned),
    summary: evmSummary(tx, from, decodeCall(tx.data)),
    digest: toHex(transactionSigningHash(tx)),
    ...(hints.tokens ? { hints } : {}),
  };
}

/**
 * Prepares a Tezos request: validates and forges the operation, derives summary and digest.
 *
 * @throws InvalidInputError naming the invalid field.
 */
export async function buildTezosRequest(params: {
  operation: TezosOperationInput;
  chainId: string;
  chainName?: string;
}): Promise<TezosColdRequest> {
  const operation = normaliseOperation(params.operation);
  const chainId = parseChainId("chainId", params.chainId);
  const name = checkName("chainName", params.chainName);
  const forged = await forgeOperation(operation);
  return {
    version: 1,
    kind: "tezos-operation",
    chain: { family: "tezos", chainId, ...(name ? { name } : {}) },
    unsigned: toHex(forged),
    summary: tezosSummary(operation),
    digest: toHex(operationSigningHash(forged)),
  };
}
