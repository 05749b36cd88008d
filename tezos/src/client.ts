/**
 * `DelegationClient`: everything the custody service does with a customer's delegation
 * contract, over a Taquito `TezosToolkit` pointed at any node RPC (the sandbox or octez).
 */
import { PollingSubscribeProvider } from "@taquito/taquito";
import type { TezosToolkit } from "@taquito/taquito";
import { emitMicheline } from "@taquito/michel-codec";
import type { Expr } from "@taquito/michel-codec";
import { LocalForger } from "@taquito/local-forging";
import type { ProtocolsHash } from "@taquito/local-forging";
import { PrefixV2, b58Encode, buf2hex, getPkhfromPk, hex2buf, verifySignature } from "@taquito/utils";
import { delegationCode, delegationStorage, parseDelegationStorage } from "./contract.js";
import type { DelegationStorage, Micheline } from "./contract.js";
import { InvalidAmountError, InvalidInputError, OperationFailedError, WrongKeyTypeError } from "./errors.js";
import { signingDigest } from "./signer.js";
import { assertBaker, assertKt1, assertMutez, assertTz1 } from "./validate.js";

export interface DelegationClientOptions {
  /**
   * How often to poll the head for confirmations (ms). Taquito's default is a third of the
   * block time, at least 700 ms; the sandbox bakes at once, so tests use a few ms.
   */
  readonly pollingIntervalMs?: number;
  /** Confirmation timeout in seconds (default 180). */
  readonly confirmationTimeoutSec?: number;
}

/** On-chain state of one delegation contract. */
export interface DelegationStatus {
  readonly address: string;
  readonly balanceMutez: bigint;
  readonly delegate: string | null;
  readonly storage: DelegationStorage;
}

/** One operation of a prepared Tezos request, as the offline toolkit displays it. */
export interface PreparedOperationSummary {
  readonly kind: "reveal" | "transaction";
  readonly counter: string;
  readonly fee: string;
  readonly gasLimit: string;
  readonly storageLimit: string;
  readonly destination?: string;
  readonly amount?: string;
  readonly entrypoint?: string;
  readonly parameter?: string;
  readonly publicKey?: string;
}

/**
 * A prepared cold withdrawal in the offline toolkit's request format (`version: 1`,
 * `kind: "tezos-operation"`). `digest` is blake2b-256(0x03 || unsigned), what the cold key
 * signs; the toolkit re-derives the summary from the bytes and refuses any difference.
 */
export interface PreparedWithdrawal {
  readonly version: 1;
  readonly kind: "tezos-operation";
  readonly chain: { readonly family: "tezos"; readonly chainId: string };
  readonly unsigned: string;
  readonly summary: {
    readonly branch: string;
    readonly source: string;
    readonly operations: readonly PreparedOperationSummary[];
  };
  readonly digest: string;
}

export interface PrepareWithdrawalParams {
  readonly kt1: string;
  readonly amountMutez: bigint | number | string;
  /** The cold implicit account bound in the contract; it signs and pays the fee. */
  readonly cold: string;
  /** Needed only when the cold account has never been revealed. */
  readonly coldPublicKey?: string;
  /** Block to base the operation on; defaults to `head~2` (as Taquito does). */
  readonly branch?: string;
}

/** Taquito's error shape, read structurally to stay independent of its class identities. */
interface TaquitoOperationErrorLike {
  readonly message: string;
  readonly errors?: readonly { readonly id: string; readonly with?: unknown }[];
  readonly body?: string;
}

type NodeErrorLike = { readonly id: string; readonly [k: string]: unknown };

function failwithOf(errors: readonly NodeErrorLike[]): string | undefined {
  for (const e of errors) {
    if (e.id.endsWith("script_rejected")) {
      const w = e["with"] as { string?: string } | undefined;
      if (typeof w?.string === "string") return w.string;
    }
  }
  return undefined;
}

/** Turns whatever Taquito threw into an {@link OperationFailedError} (or rethrows it). */
function asOperationFailure(err: unknown, what: string): never {
  const e = err as TaquitoOperationErrorLike;
  let errors: NodeErrorLike[] | undefined = e?.errors ? [...e.errors] : undefined;
  if (errors === undefined && typeof e?.body === "string") {
    try {
      const parsed: unknown = JSON.parse(e.body);
      if (Array.isArray(parsed)) errors = parsed as NodeErrorLike[];
    } catch {
      // Not a node error body: rethrow below.
    }
  }
  if (errors === undefined) throw err;
  const failwith = failwithOf(errors);
  throw new OperationFailedError(
    `${what} failed: ${failwith ?? errors.map((x) => x.id).join(", ")}`,
    errors,
    failwith,
  );
}

interface ReceiptLike {
  readonly status: string;
  readonly errors?: readonly NodeErrorLike[];
  readonly consumed_milligas?: string;
  readonly paid_storage_size_diff?: string;
  readonly allocated_destination_contract?: boolean;
}

interface SimulatedContent {
  readonly metadata: {
    readonly operation_result: ReceiptLike;
    readonly internal_operation_results?: readonly { readonly result: ReceiptLike }[];
  };
}

const HARD_GAS_LIMIT_PER_OPERATION = 1_040_000n;
const HARD_STORAGE_LIMIT_PER_OPERATION = 60_000n;
/** octez-client's default fee parameters: 100 mutez + 1 mutez/byte + 0.1 mutez/gas. */
const MINIMAL_FEE = 100n;
const FEE_PER_BYTE = 1n;
const NANOTEZ_PER_GAS = 100n;
const GAS_BUFFER = 100n;
/** Extra bytes counted for the fee: the signature appended after forging. */
const SIGNATURE_BYTES = 64n;
/** Slack per operation so a node's own size count (e.g. a different varint split) still passes. */
const FEE_SIZE_MARGIN_BYTES = 8n;

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

function parseHexInput(field: string, value: unknown, length?: number): Uint8Array {
  if (typeof value !== "string") throw new InvalidInputError(field, value, "expected hex");
  const text = value.startsWith("0x") ? value.slice(2) : value;
  if (!/^([0-9a-fA-F]{2})+$/.test(text))
    throw new InvalidInputError(field, value, "expected even-length hex");
  const bytes = hex2buf(text);
  if (length !== undefined && bytes.length !== length) {
    throw new InvalidInputError(field, value, `expected ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/**
 * Drives delegation contracts through Taquito. The toolkit's signer is the hot key for
 * `originate` and `setDelegate`; cold withdrawals go through {@link prepareWithdrawal} and
 * {@link injectSigned} so the cold key never touches this process.
 */
export class DelegationClient {
  constructor(
    readonly tezos: TezosToolkit,
    readonly opts: DelegationClientOptions = {},
  ) {
    if (opts.pollingIntervalMs !== undefined) {
      tezos.setStreamProvider(
        tezos.getFactory(PollingSubscribeProvider)({ pollingIntervalMilliseconds: opts.pollingIntervalMs }),
      );
    }
    if (opts.confirmationTimeoutSec !== undefined) {
      tezos.setProvider({ config: { confirmationPollingTimeoutSecond: opts.confirmationTimeoutSec } });
    }
  }

  /**
   * Originates a delegation contract binding `cold` and `hot` (both tz1).
   *
   * @throws {InvalidAddressError} / {WrongKeyTypeError} naming `cold` or `hot`; nothing is sent.
   * @throws {OperationFailedError} when the chain refuses the origination.
   * @example const { address } = await client.originate({ cold, hot });
   */
  async originate(params: {
    cold: string;
    hot: string;
    balanceMutez?: bigint | number | string;
  }): Promise<{ address: string; opHash: string }> {
    const cold = assertTz1("cold", params.cold);
    const hot = assertTz1("hot", params.hot);
    const balance = assertMutez("balanceMutez", params.balanceMutez ?? 0n);
    try {
      const op = await this.tezos.contract.originate({
        code: delegationCode() as never,
        init: delegationStorage({ cold, hot }) as never,
        balance: balance.toString(),
        mutez: true,
      });
      await op.confirmation(1);
      return { address: op.contractAddress!, opHash: op.hash };
    } catch (err) {
      return asOperationFailure(err, "origination");
    }
  }

  /**
   * Sets the contract's baker, or removes it with `null`. The signer must be the hot or cold key.
   *
   * @throws {InvalidAddressError} naming `kt1` or `baker`; nothing is sent.
   * @throws {OperationFailedError} with `failwith` `NOT_HOT_OR_COLD` for any other signer.
   */
  async setDelegate(kt1: string, baker: string | null): Promise<{ opHash: string }> {
    const address = assertKt1("kt1", kt1);
    const target = baker === null ? null : assertBaker("baker", baker);
    return this.#call(address, "set_delegate", target, "set_delegate");
  }

  /**
   * Replaces the hot key. Cold only: the toolkit's signer must be the cold key.
   *
   * @throws {WrongKeyTypeError} when `newHot` is not a tz1.
   */
  async rotateHot(kt1: string, newHot: string): Promise<{ opHash: string }> {
    const address = assertKt1("kt1", kt1);
    const hot = assertTz1("newHot", newHot);
    return this.#call(address, "rotate_hot", hot, "rotate_hot");
  }

  /**
   * Withdraws to the cold account with an online cold signer (sandbox and tests; production
   * uses {@link prepareWithdrawal}).
   */
  async withdraw(kt1: string, amountMutez: bigint | number | string): Promise<{ opHash: string }> {
    const address = assertKt1("kt1", kt1);
    const amount = assertMutez("amountMutez", amountMutez, 1n);
    return this.#call(address, "withdraw", amount.toString(), "withdraw");
  }

  /**
   * Sends tez to the contract's `%default` entrypoint (a deposit; anyone may).
   *
   * @throws {InvalidAmountError} for a non-positive or oversized amount.
   */
  async deposit(kt1: string, amountMutez: bigint | number | string): Promise<{ opHash: string }> {
    const address = assertKt1("kt1", kt1);
    const amount = assertMutez("amountMutez", amountMutez, 1n);
    // Taquito takes a JS number here; every real amount fits (all tez ever issued < 2^53 mutez).
    if (amount > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new InvalidAmountError("amountMutez", amount, `exceeds ${Number.MAX_SAFE_INTEGER} mutez`);
    }
    try {
      const op = await this.tezos.contract.transfer({ to: address, amount: Number(amount), mutez: true });
      await op.confirmation(1);
      return { opHash: op.hash };
    } catch (err) {
      return asOperationFailure(err, "deposit");
    }
  }

  async #call(kt1: string, entrypoint: string, arg: unknown, what: string): Promise<{ opHash: string }> {
    try {
      const contract = await this.tezos.contract.at(kt1);
      const method = contract.methodsObject[entrypoint];
      if (method === undefined)
        throw new InvalidInputError("kt1", kt1, `contract has no %${entrypoint} entrypoint`);
      const op = await method(arg).send();
      await op.confirmation(1);
      return { opHash: op.hash };
    } catch (err) {
      if (err instanceof InvalidInputError) throw err;
      return asOperationFailure(err, what);
    }
  }

  /**
   * Balance, delegate and storage of a delegation contract.
   *
   * @throws {InvalidAddressError} naming `kt1`.
   */
  async status(kt1: string): Promise<DelegationStatus> {
    const address = assertKt1("kt1", kt1);
    const [balance, delegate, storage] = await Promise.all([
      this.tezos.rpc.getBalance(address),
      this.tezos.rpc.getDelegate(address),
      this.tezos.rpc.getStorage(address),
    ]);
    return {
      address,
      balanceMutez: BigInt(balance.toFixed()),
      delegate: delegate ?? null,
      storage: parseDelegationStorage(storage),
    };
  }

  /**
   * Prepares a cold withdrawal for the offline toolkit: simulates it (so a refusal such as
   * `INSUFFICIENT_BALANCE` or `NOT_COLD` surfaces now, not after the ceremony), sets gas,
   * storage and fee from the simulation, forges the bytes locally and describes them.
   *
   * The operation's branch expires after the chain's `max_operations_ttl` blocks: sign and
   * inject within that window (about an hour on mainnet) or prepare again.
   *
   * @throws {InvalidInputError} subclasses naming `kt1`, `cold`, `amountMutez` or `coldPublicKey`.
   * @throws {OperationFailedError} when the simulation fails (with the contract's `failwith`).
   */
  async prepareWithdrawal(params: PrepareWithdrawalParams): Promise<PreparedWithdrawal> {
    const kt1 = assertKt1("kt1", params.kt1);
    const cold = assertTz1("cold", params.cold);
    const amount = assertMutez("amountMutez", params.amountMutez, 1n);
    if (params.coldPublicKey !== undefined) {
      if (typeof params.coldPublicKey !== "string" || !params.coldPublicKey.startsWith("edpk")) {
        throw new WrongKeyTypeError(
          "coldPublicKey",
          params.coldPublicKey,
          "expected an Ed25519 edpk public key",
        );
      }
      let pkh: string;
      try {
        pkh = getPkhfromPk(params.coldPublicKey);
      } catch {
        throw new InvalidInputError("coldPublicKey", params.coldPublicKey, "not a valid public key");
      }
      if (pkh !== cold) {
        throw new InvalidInputError(
          "coldPublicKey",
          params.coldPublicKey,
          `hashes to ${pkh}, not to cold ${cold}`,
        );
      }
    }
    const rpc = this.tezos.rpc;
    const [chainId, protocols, contract, managerKey, branch] = await Promise.all([
      rpc.getChainId(),
      rpc.getProtocols(),
      rpc.getContract(cold),
      rpc.getManagerKey(cold),
      params.branch !== undefined ? Promise.resolve(params.branch) : rpc.getBlockHash({ block: "head~2" }),
    ]);
    const storage = parseDelegationStorage(await rpc.getStorage(kt1));
    if (storage.cold !== cold) {
      throw new InvalidInputError("cold", cold, `contract ${kt1} is bound to cold ${storage.cold}`);
    }
    let counter = BigInt(contract.counter ?? "0");
    const contents: Record<string, unknown>[] = [];
    const revealed =
      typeof managerKey === "string" ? managerKey : (managerKey as { key?: string } | null)?.key;
    if (revealed === undefined || revealed === null) {
      if (params.coldPublicKey === undefined) {
        throw new InvalidInputError(
          "coldPublicKey",
          undefined,
          `cold account ${cold} is not revealed; pass its public key`,
        );
      }
      contents.push({
        kind: "reveal",
        source: cold,
        fee: "0",
        counter: (++counter).toString(),
        gas_limit: "1000",
        storage_limit: "0",
        public_key: params.coldPublicKey,
      });
    }
    const withdrawal = {
      kind: "transaction",
      source: cold,
      fee: "0",
      counter: (++counter).toString(),
      gas_limit: HARD_GAS_LIMIT_PER_OPERATION.toString(),
      storage_limit: HARD_STORAGE_LIMIT_PER_OPERATION.toString(),
      amount: "0",
      destination: kt1,
      parameters: { entrypoint: "withdraw", value: { int: amount.toString() } },
    };
    contents.push(withdrawal);
    let simulated: { contents: SimulatedContent[] };
    try {
      simulated = (await rpc.simulateOperation({
        operation: { branch, contents: contents as never, signature: STUB_SIGNATURE },
        chain_id: chainId,
      } as never)) as unknown as { contents: SimulatedContent[] };
    } catch (err) {
      return asOperationFailure(err, "withdrawal simulation");
    }
    const errors = simulated.contents.flatMap((c) => [
      ...(c.metadata.operation_result.errors ?? []),
      ...(c.metadata.internal_operation_results ?? []).flatMap((i) => i.result.errors ?? []),
    ]);
    if (errors.length > 0) {
      const failwith = failwithOf(errors);
      throw new OperationFailedError(
        `withdrawal simulation failed: ${failwith ?? errors.map((e) => e.id).join(", ")}`,
        errors,
        failwith,
      );
    }
    simulated.contents.forEach((sim, i) => {
      const r = sim.metadata.operation_result;
      const internal = sim.metadata.internal_operation_results ?? [];
      const gas = ceilDiv(BigInt(r.consumed_milligas ?? "0"), 1000n) + GAS_BUFFER;
      const storageBytes = [r, ...internal.map((x) => x.result)].reduce(
        (sum, x) =>
          sum + BigInt(x.paid_storage_size_diff ?? "0") + (x.allocated_destination_contract ? 257n : 0n),
        0n,
      );
      contents[i]!["gas_limit"] = gas.toString();
      contents[i]!["storage_limit"] = storageBytes.toString();
    });
    const forger = new LocalForger(protocols.next_protocol as ProtocolsHash);
    // Fees depend on the size of the forged bytes, which depend on the fees: forge with the
    // gas-derived fee, then once more with the size included (the size can only grow a little).
    for (let pass = 0; pass < 2; pass++) {
      const size = BigInt((await forger.forge({ branch, contents: contents as never })).length / 2);
      const perOpBytes = ceilDiv(size + SIGNATURE_BYTES, BigInt(contents.length));
      for (const c of contents) {
        const gasFee = ceilDiv(BigInt(c["gas_limit"] as string) * NANOTEZ_PER_GAS, 1000n);
        c["fee"] = (MINIMAL_FEE + FEE_PER_BYTE * (perOpBytes + FEE_SIZE_MARGIN_BYTES) + gasFee).toString();
      }
    }
    const forgedHex = await forger.forge({ branch, contents: contents as never });
    const forged = hex2buf(forgedHex);
    return {
      version: 1,
      kind: "tezos-operation",
      chain: { family: "tezos", chainId },
      unsigned: `0x${forgedHex}`,
      summary: {
        branch,
        source: cold,
        operations: contents.map((c) => summarize(c)),
      },
      digest: `0x${buf2hex(signingDigest(forged))}`,
    };
  }

  /**
   * Injects an operation signed offline, after checking locally that the signature is the
   * operation source's (so a wrong or corrupted signature is never sent), and waits for it to
   * be included in a block.
   *
   * @throws {InvalidInputError} naming `forgedHex` or `signatureHex`.
   * @throws {OperationFailedError} when the node refuses it or it fails on chain.
   */
  async injectSigned(forgedHex: string, signatureHex: string): Promise<{ opHash: string }> {
    const forged = parseHexInput("forgedHex", forgedHex);
    const signature = parseHexInput("signatureHex", signatureHex, 64);
    let parsed: { branch: string; contents: { kind: string; source?: string; public_key?: string }[] };
    try {
      parsed = (await new LocalForger().parse(buf2hex(forged))) as never;
    } catch (err) {
      throw new InvalidInputError(
        "forgedHex",
        forgedHex.slice(0, 80),
        `not a forged operation: ${(err as Error).message}`,
      );
    }
    const source = parsed.contents[0]?.source;
    if (source === undefined)
      throw new InvalidInputError("forgedHex", forgedHex.slice(0, 80), "no manager operation");
    const reveal = parsed.contents.find((c) => c.kind === "reveal");
    const key = reveal?.public_key ?? (await this.tezos.rpc.getManagerKey(source));
    const publicKey = typeof key === "string" ? key : (key as { key?: string } | null)?.key;
    if (publicKey === undefined || publicKey === null) {
      throw new InvalidInputError(
        "forgedHex",
        source,
        "source is not revealed and the operation does not reveal it",
      );
    }
    let valid = false;
    try {
      valid = verifySignature(
        buf2hex(forged),
        publicKey,
        b58Encode(signature, PrefixV2.Ed25519Signature),
        Uint8Array.of(3),
      );
    } catch {
      valid = false;
    }
    if (!valid) {
      throw new InvalidInputError(
        "signatureHex",
        signatureHex,
        `not a valid signature by ${source} over these bytes`,
      );
    }
    let opHash: string;
    const headLevel = (await this.tezos.rpc.getBlockHeader()).level;
    try {
      opHash = await this.tezos.rpc.injectOperation(buf2hex(forged) + buf2hex(signature));
    } catch (err) {
      return asOperationFailure(err, "injection");
    }
    await this.#waitForInclusion(opHash, headLevel);
    return { opHash };
  }

  /** Polls blocks from `fromLevel` on until `opHash` appears; fails if it applied with errors. */
  async #waitForInclusion(opHash: string, fromLevel: number): Promise<void> {
    const interval = this.opts.pollingIntervalMs ?? 1000;
    const deadline = Date.now() + (this.opts.confirmationTimeoutSec ?? 180) * 1000;
    let next = fromLevel + 1;
    while (Date.now() < deadline) {
      const head = (await this.tezos.rpc.getBlockHeader()).level;
      for (; next <= head; next++) {
        const block = await this.tezos.rpc.getBlock({ block: String(next) });
        for (const op of block.operations.flat()) {
          if (op.hash !== opHash) continue;
          const errors = (op.contents as unknown as SimulatedContent[]).flatMap((c) => [
            ...(c.metadata?.operation_result?.errors ?? []),
            ...(c.metadata?.internal_operation_results ?? []).flatMap((i) => i.result.errors ?? []),
          ]);
          if (errors.length > 0) {
            const failwith = failwithOf(errors);
            throw new OperationFailedError(`operation ${opHash} failed on chain`, errors, failwith);
          }
          return;
        }
      }
      await new Promise((r) => setTimeout(r, interval));
    }
    throw new OperationFailedError(`operation ${opHash} not included before the timeout`, []);
  }
}

/** Taquito's stub signature for simulations (signatures are not checked there). */
const STUB_SIGNATURE =
  "sigUHx32f9wesZ1n2BWpixXz4AQaZggEtchaQNHYGRCoWNAXx45WGW2ua3apUUUAGMLPwAU41QoaFCzVSL61VaessLg4YbbP";

function summarize(c: Record<string, unknown>): PreparedOperationSummary {
  const common = {
    kind: c["kind"] as "reveal" | "transaction",
    counter: c["counter"] as string,
    fee: c["fee"] as string,
    gasLimit: c["gas_limit"] as string,
    storageLimit: c["storage_limit"] as string,
  };
  if (c["kind"] === "reveal") return { ...common, publicKey: c["public_key"] as string };
  const params = c["parameters"] as { entrypoint: string; value: Micheline } | undefined;
  return {
    ...common,
    destination: c["destination"] as string,
    amount: c["amount"] as string,
    entrypoint: params?.entrypoint ?? "default",
    parameter: params === undefined ? "Unit" : emitMicheline(params.value as unknown as Expr),
  };
}
