import { InvalidInputError, RefusedError } from "../errors.js";
import { maxUint, parseUint } from "./hex.js";
import { parseAddress } from "./evm/address.js";
import { encodeCall } from "./evm/abi.js";
import { MIN_GAS_LIMIT } from "./evm/transaction.js";
import { parseContractAddress, parsePublicKey, parseTz1, tz1FromPublicKey } from "./tezos/base58.js";
import { MAX_MUTEZ } from "./tezos/operation.js";
import { MUTEZ_PER_STORAGE_BYTE } from "./display.js";
import {
  buildEvmRequest,
  buildTezosRequest,
  type EvmColdRequest,
  type RequestHints,
  type TezosColdRequest,
} from "./request.js";

type Amount = string | bigint | number;

/** Everything an EVM sweep needs; balances are as they will be after the proxy calls. */
export interface EvmSweepInput {
  chainId: Amount;
  chainName?: string;
  /** The burned cold address. */
  from: string;
  /** The successor cold address recorded at the ceremony. */
  successor: string;
  /** Next nonce of `from`. */
  nonce: Amount;
  maxFeePerGas: Amount;
  maxPriorityFeePerGas: Amount;
  /** The vote proxy whose cold address is `from`, if any. */
  proxy?: {
    address: string;
    /** Call `freeAll()` first (default true). */
    freeAll?: boolean;
    /** Tokens to `rescue(token)` from the proxy to `from`. */
    rescueTokens?: string[];
    /** Call `rescueEth()` (default false). */
    rescueEth?: boolean;
    /** Gas limit of each proxy call (default 200000). */
    gasLimit?: Amount;
  };
  /** ERC-20 balances `from` will hold once the proxy calls are mined. */
  tokens?: { address: string; amount: Amount; symbol?: string; decimals?: number; gasLimit?: Amount }[];
  /** Wei `from` will hold once the proxy calls are mined, before paying any fee of this sweep. */
  ethBalance: Amount;
}

/** A prepared EVM sweep. */
export interface EvmSweepPlan {
  /** Requests in nonce order. */
  readonly requests: readonly EvmColdRequest[];
  /** Wei sent to the successor by the final transfer (0 when fees would eat it all). */
  readonly ethSwept: bigint;
  /** Worst-case fees of all requests (gas limit × max fee per gas); unused gas stays as dust. */
  readonly maxFees: bigint;
}

/**
 * Prepares the EVM sweep of a burned cold key: the proxy's `freeAll()`, `rescue(token)` and
 * `rescueEth()` (which pay out to the cold address by construction), then ERC-20 transfers of the
 * full token balances, then the ETH balance minus the worst-case fees of every request, all to
 * the successor. No network access: balances, nonce and fee caps come from the caller.
 *
 * @throws InvalidInputError naming the field for malformed input.
 * @throws RefusedError `INSUFFICIENT_FUNDS_FOR_FEES` when the ETH balance cannot pay the fees.
 */
export function prepareEvmSweep(input: EvmSweepInput): EvmSweepPlan {
  const from = parseAddress("from", input.from);
  const successor = parseAddress("successor", input.successor);
  if (from === successor) throw new InvalidInputError("successor", "must differ from the burned address");
  const maxFeePerGas = parseUint("maxFeePerGas", input.maxFeePerGas, maxUint(256));
  let nonce = parseUint("nonce", input.nonce, maxUint(64) - 2n);
  const ethBalance = parseUint("ethBalance", input.ethBalance, maxUint(256));
  const base = {
    chainId: input.chainId,
    maxFeePerGas: input.maxFeePerGas,
    maxPriorityFeePerGas: input.maxPriorityFeePerGas,
    value: "0",
  };
  const requests: EvmColdRequest[] = [];
  let maxFees = 0n;
  const push = (to: string, data: string, gasLimit: bigint, value = 0n, hints?: RequestHints): void => {
    requests.push(
      buildEvmRequest({
        tx: { ...base, nonce, to, data, gasLimit, value },
        from,
        ...(input.chainName ? { chainName: input.chainName } : {}),
        ...(hints ? { hints } : {}),
      }),
    );
    nonce += 1n;
    maxFees += gasLimit * maxFeePerGas;
  };

  if (input.proxy !== undefined) {
    const proxy = parseAddress("proxy.address", input.proxy.address);
    const gas = parseUint("proxy.gasLimit", input.proxy.gasLimit ?? 200_000, maxUint(64), MIN_GAS_LIMIT);
    if (input.proxy.freeAll ?? true) push(proxy, encodeCall("freeAll"), gas);
    (input.proxy.rescueTokens ?? []).forEach((t, i) => {
      push(proxy, encodeCall("rescue", { token: parseAddress(`proxy.rescueTokens[${i}]`, t) }), gas);
    });
    if (input.proxy.rescueEth ?? false) push(proxy, encodeCall("rescueEth"), gas);
  }
  const seen = new Set<string>();
  (input.tokens ?? []).forEach((t, i) => {
    const token = parseAddress(`tokens[${i}].address`, t.address);
    if (seen.has(token)) throw new InvalidInputError(`tokens[${i}].address`, `${token} listed twice`);
    seen.add(token);
    const amount = parseUint(`tokens[${i}].amount`, t.amount, maxUint(256));
    if (amount === 0n) return;
    const gas = parseUint(`tokens[${i}].gasLimit`, t.gasLimit ?? 100_000, maxUint(64), MIN_GAS_LIMIT);
    const hints =
      t.symbol !== undefined && t.decimals !== undefined
        ? { tokens: { [token]: { symbol: t.symbol, decimals: t.decimals } } }
        : undefined;
    push(token, encodeCall("transfer", { to: successor, amount }), gas, 0n, hints);
  });

  const ethFee = MIN_GAS_LIMIT * maxFeePerGas;
  if (ethBalance < maxFees) {
    throw new RefusedError(
      "INSUFFICIENT_FUNDS_FOR_FEES",
      `ethBalance ${ethBalance} wei cannot pay worst-case fees of ${maxFees} wei`,
    );
  }
  let ethSwept = 0n;
  if (ethBalance - maxFees > ethFee) {
    ethSwept = ethBalance - maxFees - ethFee;
    push(successor, "0x", MIN_GAS_LIMIT, ethSwept);
  }
  return Object.freeze({ requests: Object.freeze(requests), ethSwept, maxFees });
}

interface TezosFees {
  fee: Amount;
  gasLimit: Amount;
  storageLimit: Amount;
}

/** Everything a Tezos sweep needs. */
export interface TezosSweepInput {
  chainId: string;
  chainName?: string;
  /** A recent block hash to branch from. */
  branch: string;
  /** The burned cold tz1. */
  source: string;
  /** The successor tz1 recorded at the ceremony. */
  successor: string;
  /** The source's current counter (the next operation uses counter + 1). */
  counter: Amount;
  /** The source's current balance in mutez. */
  balance: Amount;
  /** Reveal the source's key first (only when it was never revealed). */
  reveal?: { publicKey: string; fee: Amount; gasLimit: Amount };
  /** The delegation contract whose %withdraw pays out to the source. */
  contract?: { address: string; balance: Amount } & TezosFees;
  /** Fee and limits of the final transfer to the successor. */
  transfer: TezosFees;
}

/** A prepared Tezos sweep. */
export interface TezosSweepPlan {
  readonly requests: readonly TezosColdRequest[];
  /** Mutez sent to the successor. */
  readonly swept: bigint;
  /** Fees plus worst-case storage burn of all operations. */
  readonly maxCosts: bigint;
}

/**
 * Prepares the Tezos sweep of a burned cold key: an optional reveal and the contract's
 * `%withdraw` of its whole balance (paid to the source by the contract), then a transfer of the
 * source's whole balance minus every fee and worst-case storage burn to the successor.
 *
 * @throws InvalidInputError naming the field for malformed input.
 * @throws RefusedError `INSUFFICIENT_FUNDS_FOR_FEES` when nothing would be left to sweep.
 */
export async function prepareTezosSweep(input: TezosSweepInput): Promise<TezosSweepPlan> {
  const source = parseTz1("source", input.source);
  const successor = parseTz1("successor", input.successor);
  if (source === successor) throw new InvalidInputError("successor", "must differ from the burned address");
  let counter = parseUint("counter", input.counter, MAX_MUTEZ - 4n);
  const balance = parseUint("balance", input.balance, MAX_MUTEZ);
  const cost = (f: TezosFees, field: string): bigint =>
    parseUint(`${field}.fee`, f.fee, MAX_MUTEZ) +
    parseUint(`${field}.storageLimit`, f.storageLimit, MAX_MUTEZ) * MUTEZ_PER_STORAGE_BYTE;
  const requests: TezosColdRequest[] = [];
  let maxCosts = 0n;
  let incoming = 0n;
  const common = {
    source,
    chainId: input.chainId,
    ...(input.chainName ? { chainName: input.chainName } : {}),
  };

  const first = [];
  if (input.reveal !== undefined) {
    const pk = parsePublicKey("reveal.publicKey", input.reveal.publicKey);
    if (tz1FromPublicKey(pk) !== source)
      throw new InvalidInputError("reveal.publicKey", `is not the key of ${source}`);
    counter += 1n;
    first.push({
      kind: "reveal" as const,
      source,
      fee: input.reveal.fee,
      counter,
      gasLimit: input.reveal.gasLimit,
      storageLimit: 0,
      publicKey: input.reveal.publicKey,
    });
    maxCosts += parseUint("reveal.fee", input.reveal.fee, MAX_MUTEZ);
  }
  if (input.contract !== undefined) {
    const c = input.contract;
    const address = parseContractAddress("contract.address", c.address);
    incoming = parseUint("contract.balance", c.balance, MAX_MUTEZ);
    if (incoming > 0n) {
      counter += 1n;
      first.push({
        kind: "transaction" as const,
        source,
        fee: c.fee,
        counter,
        gasLimit: c.gasLimit,
        storageLimit: c.storageLimit,
        amount: 0,
        destination: address,
        parameters: { entrypoint: "withdraw", value: { int: incoming.toString() } },
      });
      maxCosts += cost(c, "contract");
    }
  }
  if (first.length > 0) {
    requests.push(
      await buildTezosRequest({
        operation: { branch: input.branch, contents: first },
        chainId: common.chainId,
        ...(common.chainName ? { chainName: common.chainName } : {}),
      }),
    );
  }
  maxCosts += cost(input.transfer, "transfer");
  const available = balance + incoming;
  if (available <= maxCosts) {
    throw new RefusedError(
      "INSUFFICIENT_FUNDS_FOR_FEES",
      `${available} mutez cannot pay fees and storage of ${maxCosts} mutez and leave anything to sweep`,
    );
  }
  const swept = available - maxCosts;
  counter += 1n;
  requests.push(
    await buildTezosRequest({
      operation: {
        branch: input.branch,
        contents: [
          {
            kind: "transaction",
            source,
            fee: input.transfer.fee,
            counter,
            gasLimit: input.transfer.gasLimit,
            storageLimit: input.transfer.storageLimit,
            amount: swept,
            destination: successor,
          },
        ],
      },
      chainId: common.chainId,
      ...(common.chainName ? { chainName: common.chainName } : {}),
    }),
  );
  return Object.freeze({ requests: Object.freeze(requests), swept, maxCosts });
}
