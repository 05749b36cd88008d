import { emitMicheline, type Expr } from "@taquito/michel-codec";
import { InvalidInputError, RefusedError } from "../errors.js";
import { formatUnits, maxUint, parseHex, parseUint, toHex } from "./hex.js";
import { withdrawAmount, isContractAddress, type TezosManagerOperation } from "./tezos/operation.js";
import {
  KNOWN_NETWORKS,
  type DecodedEvmRequest,
  type DecodedRequest,
  type DecodedTezosRequest,
} from "./request.js";

/** Mutez burned per byte of storage (protocol constant since Babylon, still current). */
export const MUTEZ_PER_STORAGE_BYTE = 250n;

const eth = (wei: bigint): string => `${wei} wei (${formatUnits(wei, 18)} ETH)`;
const tez = (mutez: bigint): string => `${mutez} mutez (${formatUnits(mutez, 6)} tez)`;

/**
 * Calls the toolkit cannot describe: an unknown EVM selector, or a Tezos entrypoint other than a
 * plain transfer or `%withdraw` with an int amount on a KT1. The display flags them and
 * {@link confirm} refuses them unless explicitly allowed.
 */
export function unknownCalls(decoded: DecodedRequest): string[] {
  if (decoded.kind === "evm-transaction") {
    return decoded.call.kind === "unknown"
      ? [`unknown call: selector ${decoded.call.selector}, ${decoded.call.length} bytes of calldata`]
      : [];
  }
  return decoded.operation.contents.flatMap((op, i) => {
    if (op.kind !== "transaction" || op.parameters === undefined) return [];
    if (withdrawAmount(op) !== undefined && isContractAddress(op.destination)) return [];
    return [`operation ${i + 1}: unknown call %${op.parameters.entrypoint} on ${op.destination}`];
  });
}

/**
 * Worst-case cost besides the value moved, in the chain's base unit: EVM gas limit × max fee per
 * gas (wei); Tezos fees plus the storage burn the limits allow (mutez).
 */
export function worstCaseFee(decoded: DecodedRequest): bigint {
  if (decoded.kind === "evm-transaction") return decoded.tx.gasLimit * decoded.tx.maxFeePerGas;
  return decoded.operation.contents.reduce((s, o) => s + o.fee + o.storageLimit * MUTEZ_PER_STORAGE_BYTE, 0n);
}

function networkName(chainId: string, name: string | undefined): string {
  const known = KNOWN_NETWORKS[chainId];
  if (known !== undefined) return known;
  return name === undefined
    ? "UNKNOWN NETWORK"
    : `${name} (name stated by the request; chain id not known to the toolkit)`;
}

function renderEvm(d: DecodedEvmRequest): string[] {
  const { tx, call } = d;
  const lines = [
    "Request:   EVM transaction (EIP-1559, type 2)",
    `Chain:     ${networkName(d.chain.chainId, d.chain.name)}, chain id ${tx.chainId}`,
    `From:      ${d.from} (the cold address; the key must derive it before anything is signed)`,
    `To:        ${tx.to}`,
  ];
  if (call.kind === "none") {
    lines.push(tx.data === "0x" ? "Call:      none (plain ETH transfer)" : "Call:      none");
  } else if (call.kind === "unknown") {
    lines.push(
      `Call:      UNKNOWN selector ${call.selector} (${call.length} bytes): cannot show what it does`,
    );
  } else {
    lines.push(`Call:      ${call.signature} on the ${call.target} ${tx.to}`);
    for (const arg of call.args) {
      if (arg.type === "address") {
        lines.push(`  ${arg.name}: ${arg.value}`);
        continue;
      }
      const amount = BigInt(arg.value);
      const token = d.hints.tokens?.[tx.to.toLowerCase()];
      if (call.name === "transfer" && token !== undefined) {
        lines.push(
          `  ${arg.name}: ${amount} base units (${formatUnits(amount, token.decimals)} ${token.symbol}; ` +
            "symbol and decimals are the request's unverified hint)",
        );
      } else if (call.name === "free") {
        lines.push(
          `  ${arg.name}: ${amount} base units (${formatUnits(amount, 18)} with 18 decimals, a wad)`,
        );
      } else {
        lines.push(`  ${arg.name}: ${amount} base units (token decimals unknown)`);
      }
    }
  }
  const maxTotal = tx.maxFeePerGas * tx.gasLimit;
  lines.push(
    `Value:     ${eth(tx.value)}`,
    `Nonce:     ${tx.nonce}`,
    `Gas limit: ${tx.gasLimit}`,
    `Max fee:   ${eth(tx.maxFeePerGas)} per gas; priority fee ${eth(tx.maxPriorityFeePerGas)} per gas`,
    `Max total fee: ${eth(maxTotal)} (gas limit × max fee per gas)`,
    `Max total cost: ${eth(maxTotal + tx.value)} (value + max total fee)`,
  );
  return lines;
}

function renderTezosOp(op: TezosManagerOperation, i: number, n: number): string[] {
  const head = `Operation ${i + 1} of ${n}:`;
  const limits = [
    `  counter: ${op.counter}`,
    `  fee: ${tez(op.fee)}`,
    `  gas limit: ${op.gasLimit}; storage limit: ${op.storageLimit} bytes ` +
      `(at most ${tez(op.storageLimit * MUTEZ_PER_STORAGE_BYTE)} burned)`,
  ];
  if (op.kind === "reveal") return [`${head} reveal public key ${op.publicKey}`, ...limits];
  const lines = [`${head} transaction to ${op.destination}`];
  if (op.parameters === undefined) {
    lines.push("  call: none (plain transfer, entrypoint %default, parameter Unit)");
  } else {
    const w = withdrawAmount(op);
    const param = emitMicheline(op.parameters.value as unknown as Expr);
    lines.push(`  entrypoint: %${op.parameters.entrypoint}`, `  parameter: ${param}`);
    if (w !== undefined && isContractAddress(op.destination)) {
      lines.push(`  withdraw: ${tez(w)} from the contract to its cold address`);
    } else {
      lines.push("  WARNING: unknown call: the toolkit cannot show what it does");
    }
  }
  lines.push(`  amount sent: ${tez(op.amount)}`, ...limits);
  return lines;
}

function renderTezos(d: DecodedTezosRequest): string[] {
  const ops = d.operation.contents;
  const fees = ops.reduce((s, o) => s + o.fee, 0n);
  const burn = ops.reduce((s, o) => s + o.storageLimit * MUTEZ_PER_STORAGE_BYTE, 0n);
  const sent = ops.reduce((s, o) => s + (o.kind === "transaction" ? o.amount : 0n), 0n);
  return [
    `Request:   Tezos operation (${ops.length} manager operation${ops.length === 1 ? "" : "s"})`,
    `Network:   ${networkName(d.chain.chainId, d.chain.name)}, chain id ${d.chain.chainId} (stated by the request; ` +
      "the signed bytes fix the branch)",
    `Branch:    ${d.operation.branch}`,
    `Source:    ${d.summary.source}`,
    ...ops.flatMap((op, i) => renderTezosOp(op, i, ops.length)),
    `Total sent: ${tez(sent)}`,
    `Total fees: ${tez(fees)}; storage burn at most ${tez(burn)}`,
  ];
}

/**
 * The trusted display: every line the operator must read before a signature, derived only from
 * the decoded bytes (plus clearly marked hints). Unknown calls are flagged with a WARNING line.
 *
 * @example
 * for (const line of renderRequest(await decodeRequest(request))) console.log(line);
 */
export function renderRequest(decoded: DecodedRequest): string[] {
  const lines = decoded.kind === "evm-transaction" ? renderEvm(decoded) : renderTezos(decoded);
  for (const u of unknownCalls(decoded)) lines.push(`WARNING: ${u}; refused unless explicitly allowed`);
  lines.push(`Digest:    ${decoded.digest}`);
  return lines;
}

/** Proof that an operator confirmed one digest; only {@link confirm} creates them. */
export interface Confirmation {
  readonly digest: string;
  readonly mode: "interactive" | "expected-digest";
}

const issued = new WeakSet<Confirmation>();

/** Options of {@link confirm}. */
export interface ConfirmOptions {
  /** Non-interactive mode: the digest the operator expects, from an independent channel. */
  readonly expectedDigest?: string;
  /**
   * Interactive mode: shows the lines and the question, returns what the operator typed. The
   * operator confirms by typing the first 8 hex digits of the digest (or all of it), which makes
   * them read the digest rather than press enter.
   */
  readonly prompt?: (lines: readonly string[], question: string) => string | Promise<string>;
  /** Sign even though the request contains calls the toolkit cannot decode. */
  readonly allowUnknownCalls?: boolean;
  /**
   * Refuse when {@link worstCaseFee} exceeds this many base units (wei or mutez): a hostile
   * preparer cannot hand the funds to a block producer through an absurd fee.
   */
  readonly maxFee?: bigint | string;
}

/**
 * Asks for confirmation of a decoded request and returns the proof the signers require.
 *
 * @throws RefusedError `UNKNOWN_CALL` for undecodable calls without `allowUnknownCalls`,
 *   `FEE_TOO_HIGH` when the worst-case fee exceeds `maxFee`,
 *   `DIGEST_MISMATCH` when `expectedDigest` differs from the request's digest,
 *   `NOT_CONFIRMED` when the operator's answer does not confirm, and
 *   `CONFIRMATION_REQUIRED` when neither mode is given.
 * @throws InvalidInputError (field `expectedDigest` or `maxFee`) for a malformed value.
 */
export async function confirm(decoded: DecodedRequest, options: ConfirmOptions = {}): Promise<Confirmation> {
  const unknown = unknownCalls(decoded);
  if (unknown.length > 0 && options.allowUnknownCalls !== true) {
    throw new RefusedError("UNKNOWN_CALL", `${unknown.join("; ")}: refused without allowUnknownCalls`);
  }
  if (options.maxFee !== undefined) {
    const cap = parseUint("maxFee", options.maxFee, maxUint(256));
    const fee = worstCaseFee(decoded);
    if (fee > cap) throw new RefusedError("FEE_TOO_HIGH", `worst-case fee ${fee} exceeds the cap of ${cap}`);
  }
  if (options.expectedDigest === undefined && options.prompt === undefined) {
    throw new RefusedError("CONFIRMATION_REQUIRED", "give an expected digest or an interactive prompt");
  }
  let mode: Confirmation["mode"] = "interactive";
  if (options.expectedDigest !== undefined) {
    const expected = toHex(parseHex("expectedDigest", options.expectedDigest, 32));
    if (expected !== decoded.digest) {
      throw new RefusedError(
        "DIGEST_MISMATCH",
        `expected digest ${expected} but the request's digest is ${decoded.digest}`,
      );
    }
    mode = "expected-digest";
  }
  if (options.prompt !== undefined) {
    const short = decoded.digest.slice(2, 10);
    const answer = await options.prompt(
      renderRequest(decoded),
      "Type the first 8 hex digits of the digest shown above to sign, anything else to refuse: ",
    );
    if (typeof answer !== "string") throw new InvalidInputError("answer", "expected text");
    const a = answer.trim().toLowerCase().replace(/^0x/, "");
    if (a !== short && `0x${a}` !== decoded.digest)
      throw new RefusedError("NOT_CONFIRMED", "the operator did not confirm");
    mode = "interactive";
  }
  const confirmation: Confirmation = Object.freeze({ digest: decoded.digest, mode });
  issued.add(confirmation);
  return confirmation;
}

/**
 * Checks that a confirmation was issued by {@link confirm} for this very request.
 *
 * @throws RefusedError `NOT_CONFIRMED` otherwise.
 */
export function assertConfirmed(decoded: DecodedRequest, confirmation: Confirmation | undefined): void {
  if (confirmation === undefined || !issued.has(confirmation)) {
    throw new RefusedError("NOT_CONFIRMED", "no confirmation from confirm() for this request");
  }
  if (confirmation.digest !== decoded.digest) {
    throw new RefusedError(
      "DIGEST_MISMATCH",
      `confirmation is for ${confirmation.digest}, not ${decoded.digest}`,
    );
  }
}
