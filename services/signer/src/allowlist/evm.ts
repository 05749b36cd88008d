/**
 * The EVM half of the signer's own policy. It decodes the raw unsigned transaction itself and
 * says yes only to EIP-1559 factory originations for this signer's hot key and lock / free /
 * freeAll / vote on proxies it knows, at the expected nonce (or as a fee bump of what it signed at
 * a used one, decision 0963), on the configured chain, within fee caps. The caller's description of the request is never consulted.
 */
import { Transaction, getAddress, getBytes } from "ethers";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { InvalidInputError, PolicyRefusedError } from "../errors.js";
import { CalldataError, decodeFactoryCall, decodeProxyCall } from "./evm-abi.js";
import type { CreateProxyCall, ProxyCall } from "./evm-abi.js";
import { isValidCustomerId, predictProxyAddress } from "./create2.js";
import { DEFAULT_MAX_REPLACEMENTS, checkReplacement, signedRecord } from "./evm-replacement.js";
import type { SignedAtNonce } from "./evm-replacement.js";

/** A factory the signer may originate through, with its implementation (for CREATE2). */
export interface EvmFactory {
  readonly factory: string;
  readonly implementation: string;
}

/** Limits the operator configures. */
export interface EvmPolicyConfig {
  readonly chainId: bigint;
  readonly factories: readonly EvmFactory[];
  readonly maxGasLimit: bigint;
  readonly maxFeePerGas: bigint;
  readonly maxCandidates: number;
  /** Replacements signed per nonce (decision 0963); {@link DEFAULT_MAX_REPLACEMENTS} when absent. */
  readonly maxReplacements?: number;
}

/** What the signer knows at the time of the request. */
export interface EvmPolicyContext {
  /** Checksummed address of the signing key. */
  readonly signer: string;
  /** The next nonce the signer expects for this key, or undefined when never synced. */
  readonly expectedNonce: bigint | undefined;
  /** The hot key a known proxy was created with (`"*"` for an operator allowlist entry). */
  readonly knownProxy: (address: string) => string | undefined;
  /**
   * The last transaction this key signed at a nonce, when remembered. Without it every used nonce
   * is refused as a replay; with it a fee bump of that transaction is accepted (decision 0963).
   */
  readonly signedAt?: (nonce: bigint) => SignedAtNonce | undefined;
}

/** What an accepted transaction does. */
export type EvmIntent =
  | ({ readonly kind: "createProxy"; readonly factory: string; readonly proxy: string } & CreateProxyCall)
  | ({ readonly proxy: string } & ProxyCall);

/** An accepted transaction, ready to be signed. */
export interface EvmDecision {
  readonly tx: Transaction;
  readonly intent: EvmIntent;
  readonly nonce: bigint;
  /** The canonical unsigned serialisation, as received. */
  readonly unsigned: Uint8Array;
  /** keccak256 of the unsigned serialisation (what is signed). */
  readonly digest: Uint8Array;
  /** True when this re-signs an already used nonce: the next expected nonce does not move. */
  readonly replacement: boolean;
  /** What to journal as the last transaction signed at `nonce` before the signature is released. */
  readonly record: SignedAtNonce;
}

/**
 * Parses raw unsigned bytes into a transaction, refusing anything that is not a canonical
 * unsigned EIP-1559 transaction.
 *
 * @throws {InvalidInputError} naming `unsignedTx` for bytes that are not a transaction at all.
 * @throws {PolicyRefusedError} `EVM_TX_TYPE` / `EVM_NOT_CANONICAL` / `EVM_ALREADY_SIGNED`.
 */
export function parseUnsignedEvm(unsignedTx: string): Transaction {
  return parseCanonical(unsignedTx).tx;
}

/** {@link parseUnsignedEvm}, also giving the bytes it decoded (equal to the canonical serialisation). */
function parseCanonical(unsignedTx: string): { tx: Transaction; bytes: Uint8Array } {
  if (typeof unsignedTx !== "string" || !/^0x([0-9a-fA-F]{2})+$/.test(unsignedTx)) {
    throw new InvalidInputError(
      "unsignedTx",
      String(unsignedTx).slice(0, 80),
      "expected 0x-prefixed hex bytes",
    );
  }
  const bytes = getBytes(unsignedTx);
  const first = bytes[0]!;
  if (first !== 0x02) {
    const kind = first >= 0xc0 ? "legacy" : `type ${first}`;
    throw new PolicyRefusedError(
      "EVM_TX_TYPE",
      `only EIP-1559 (type 2) transactions are signed, got ${kind}`,
      "unsignedTx",
      kind,
    );
  }
  let tx: Transaction;
  try {
    tx = Transaction.from(unsignedTx);
  } catch (err) {
    throw new InvalidInputError(
      "unsignedTx",
      unsignedTx.slice(0, 80),
      `not an EIP-1559 transaction: ${(err as Error).message.split(" (")[0]}`,
    );
  }
  if (tx.signature !== null)
    throw new PolicyRefusedError("EVM_ALREADY_SIGNED", "expected unsigned bytes", "unsignedTx");
  const maxFee = tx.maxFeePerGas ?? 0n;
  const tip = tx.maxPriorityFeePerGas ?? 0n;
  // Checked before re-serialising: ethers refuses to serialise such a transaction at all.
  if (tip > maxFee) {
    throw new PolicyRefusedError(
      "EVM_PRIORITY_FEE",
      `maxPriorityFeePerGas ${tip} above maxFeePerGas ${maxFee}`,
      "maxPriorityFeePerGas",
      tip.toString(),
    );
  }
  let canonical: string;
  try {
    canonical = tx.unsignedSerialized;
  } catch {
    throw new PolicyRefusedError("EVM_NOT_CANONICAL", "transaction does not re-serialise", "unsignedTx");
  }
  // Bytes the signer hashes must be the bytes it decoded, with nothing tolerated on the way.
  if (canonical.toLowerCase() !== unsignedTx.toLowerCase()) {
    throw new PolicyRefusedError("EVM_NOT_CANONICAL", "transaction encoding is not canonical", "unsignedTx");
  }
  return { tx, bytes };
}

function refuse(reason: string, message: string, field?: string, value?: string): never {
  throw new PolicyRefusedError(reason, message, field, value);
}

/**
 * Decides whether the hot key may sign `unsignedTx`.
 *
 * @throws {PolicyRefusedError} with a stable `reason` for everything outside the allowlist.
 * @throws {InvalidInputError} for bytes that do not parse.
 * @example const decision = checkEvmTransaction(hex, config, { signer, expectedNonce: 0n, knownProxy });
 */
export function checkEvmTransaction(
  unsignedTx: string,
  config: EvmPolicyConfig,
  ctx: EvmPolicyContext,
): EvmDecision {
  const { tx, bytes } = parseCanonical(unsignedTx);
  if (tx.chainId !== config.chainId)
    refuse(
      "EVM_CHAIN_ID",
      `chain id ${tx.chainId}, expected ${config.chainId}`,
      "chainId",
      tx.chainId.toString(),
    );
  if (tx.to === null) refuse("EVM_CONTRACT_CREATION", "contract creation is never signed", "to");
  if (tx.value !== 0n) refuse("EVM_VALUE", `value must be 0, got ${tx.value}`, "value", tx.value.toString());
  if ((tx.accessList ?? []).length !== 0)
    refuse("EVM_ACCESS_LIST", "access lists are not allowed", "accessList");
  if (tx.gasLimit > config.maxGasLimit)
    refuse(
      "EVM_GAS_LIMIT",
      `gas limit ${tx.gasLimit} above cap ${config.maxGasLimit}`,
      "gasLimit",
      tx.gasLimit.toString(),
    );
  const maxFee = tx.maxFeePerGas ?? 0n;
  if (maxFee > config.maxFeePerGas)
    refuse(
      "EVM_MAX_FEE",
      `maxFeePerGas ${maxFee} above cap ${config.maxFeePerGas}`,
      "maxFeePerGas",
      maxFee.toString(),
    );

  // ethers checksums `to` when it decodes it.
  const to = tx.to;
  const intent = decideTarget(to, tx.data, config, ctx);

  const nonce = BigInt(tx.nonce);
  // The bytes are the canonical unsigned serialisation (checked above), so their hash is
  // tx.unsignedHash without serialising the transaction again.
  const digest = keccak_256(bytes);
  if (ctx.expectedNonce === undefined)
    refuse(
      "EVM_NONCE_UNKNOWN",
      `no nonce tracked for ${ctx.signer}; resync first`,
      "nonce",
      nonce.toString(),
    );
  if (nonce < ctx.expectedNonce) {
    // Every rule above (target, calldata, gas and fee caps) has already applied to the replacement.
    const record = checkReplacement(
      ctx.signedAt?.(nonce),
      tx,
      nonce,
      ctx.expectedNonce,
      config.maxReplacements ?? DEFAULT_MAX_REPLACEMENTS,
    );
    return { tx, intent, nonce, unsigned: bytes, digest, replacement: true, record };
  }
  if (nonce > ctx.expectedNonce)
    refuse(
      "EVM_NONCE_GAP",
      `nonce ${nonce} leaves a gap; next is ${ctx.expectedNonce}`,
      "nonce",
      nonce.toString(),
    );

  return {
    tx,
    intent,
    nonce,
    unsigned: bytes,
    digest,
    replacement: false,
    record: signedRecord(tx, 0),
  };
}

// Checksummed factory addresses per configured list: the configuration does not change per request.
const checksummedFactories = new WeakMap<readonly EvmFactory[], readonly string[]>();

function factoryAt(factories: readonly EvmFactory[], to: string): EvmFactory | undefined {
  let addresses = checksummedFactories.get(factories);
  if (addresses === undefined) {
    addresses = factories.map((f) => getAddress(f.factory));
    checksummedFactories.set(factories, addresses);
  }
  const i = addresses.indexOf(to);
  return i < 0 ? undefined : factories[i];
}

function decideTarget(to: string, data: string, config: EvmPolicyConfig, ctx: EvmPolicyContext): EvmIntent {
  try {
    const factory = factoryAt(config.factories, to);
    if (factory !== undefined) {
      const call = decodeFactoryCall(data);
      if (call.hot !== ctx.signer)
        refuse(
          "EVM_HOT_MISMATCH",
          `createProxy hot ${call.hot} is not this key ${ctx.signer}`,
          "hot",
          call.hot,
        );
      if (/^0x0{40}$/i.test(call.cold) || call.cold === call.hot)
        refuse("EVM_BAD_COLD", `cold ${call.cold} is zero or the hot key`, "cold", call.cold);
      // The factory reverts for it, and a proxy keeps only 16 bytes of it (decision 0010).
      if (!isValidCustomerId(call.customerId))
        refuse(
          "EVM_BAD_CUSTOMER_ID",
          `customerId ${call.customerId} does not fit in 128 bits`,
          "customerId",
          call.customerId,
        );
      const proxy = predictProxyAddress(
        factory.factory,
        factory.implementation,
        call.customerId,
        call.cold,
        call.hot,
      );
      return { kind: "createProxy", factory: to, proxy, ...call };
    }
    const hot = ctx.knownProxy(to);
    if (hot === undefined)
      refuse("EVM_UNKNOWN_TARGET", `${to} is neither a configured factory nor a known proxy`, "to", to);
    if (hot !== "*" && hot !== ctx.signer)
      refuse("EVM_PROXY_OTHER_KEY", `proxy ${to} was created for hot key ${hot}`, "to", to);
    return { proxy: to, ...decodeProxyCall(data, config.maxCandidates) };
  } catch (err) {
    if (err instanceof CalldataError) refuse(err.reason, err.message, "data");
    throw err;
  }
}
