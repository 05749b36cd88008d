/**
 * Application of a manager operation group (reveal, transaction, origination, delegation),
 * following the protocol's two phases:
 *
 * 1. validation: one source, revealed key, counters exactly `counter + 1, + 2, ...`, limits
 *    within the hard limits, fees covered. Any failure refuses the whole group (nothing is
 *    included, nothing changes). Fees are then debited and counters incremented; these stick
 *    even if application fails, as on a real chain.
 * 2. application, in order. The first failing operation is `failed`, the ones before it are
 *    `backtracked` (their effects undone), the ones after it `skipped`. Internal operations a
 *    contract emits are applied depth-first (the order since the Florence protocol, 009; it was breadth-first before): each
 *    emitted operation, and everything it emits in turn, completes before the next sibling.
 */
import { validateKeyHash, ValidationResult } from "@taquito/utils";
import type { Micheline } from "../michelson/index.js";
import {
  COST_PER_BYTE,
  GAS,
  HARD_GAS_LIMIT_PER_BLOCK,
  HARD_GAS_LIMIT_PER_OPERATION,
  HARD_STORAGE_LIMIT_PER_OPERATION,
  ORIGINATION_SIZE,
} from "./constants.js";
import { originatedAddress, publicKeyHash } from "./crypto.js";
import type { EmittedOperation, ScriptEngine } from "./engine.js";
import { ApplyFailure, OperationRejected, protoError } from "./errors.js";
import type { ImplicitAccount, LedgerState, OriginatedAccount } from "./state.js";

/** A manager operation as Taquito's forger (and the node's JSON) spells it. */
export interface ManagerContent {
  readonly kind: string;
  readonly source: string;
  readonly fee: string;
  readonly counter: string;
  readonly gas_limit: string;
  readonly storage_limit: string;
  readonly public_key?: string;
  readonly amount?: string;
  readonly destination?: string;
  readonly parameters?: { readonly entrypoint: string; readonly value: Micheline };
  readonly balance?: string;
  readonly delegate?: string;
  readonly script?: { readonly code: Micheline; readonly storage: Micheline };
}

/** An operation result in the node's receipt format (`metadata.operation_result`). */
export type OperationResult = Record<string, unknown> & {
  status: "applied" | "failed" | "backtracked" | "skipped";
};

/** A content with its receipt, as blocks, preapply and simulation return it. */
export type ContentWithMetadata = ManagerContent & {
  readonly metadata: {
    readonly balance_updates: readonly Record<string, unknown>[];
    readonly operation_result: OperationResult;
    readonly internal_operation_results?: readonly Record<string, unknown>[];
  };
};

/** Block-level facts the scripts see. */
export interface BlockContext {
  readonly level: number;
  readonly timestamp: bigint;
  readonly chainId: string;
}

export interface ApplyOptions {
  readonly engine: ScriptEngine;
  readonly block: BlockContext;
  /** The 32-byte operation hash (origination nonces derive from it). */
  readonly operationHash: Uint8Array;
}

const MANAGER_KINDS = new Set(["reveal", "transaction", "origination", "delegation"]);
const UNIT: Micheline = { prim: "Unit" };

/** Per-content accounting of gas, storage and internal results. */
interface Tracker {
  readonly source: string;
  readonly milligasLimit: bigint;
  milligas: bigint;
  readonly storageLimit: bigint;
  storageBytes: bigint;
  readonly internal: Record<string, unknown>[];
  nonce: number;
  /** Set once the innermost failing internal operation has recorded its errors. */
  failureRecorded: boolean;
}

/** Shared across the whole group: the origination index of the nonce. */
interface GroupCounters {
  originations: number;
}

const isImplicit = (address: string): boolean => /^tz[1-4]/.test(address);

function toBig(value: string | undefined, field: string): bigint {
  if (value === undefined || !/^\d+$/.test(value)) {
    throw new OperationRejected([protoError("permanent", "operation.invalid_field", { field, value })]);
  }
  return BigInt(value);
}

function contractUpdate(contract: string, change: bigint): Record<string, unknown> {
  return { kind: "contract", contract, change: change.toString(), origin: "block" };
}

/**
 * Validation phase: checks the group and takes fees and counters. Returns the public key that
 * must have signed it (the revealed key, or the one this group reveals).
 *
 * @throws {OperationRejected} when any check fails; the state is then unchanged.
 */
export function validateGroup(state: LedgerState, contents: readonly ManagerContent[]): string {
  if (contents.length === 0) {
    throw new OperationRejected([protoError("permanent", "validate.operation.empty_manager_operation")]);
  }
  const source = contents[0]!.source;
  let account: ImplicitAccount | undefined = state.implicit(source);
  if (account === undefined) {
    throw new OperationRejected([
      protoError("branch", "implicit.empty_implicit_contract", { implicit: source }),
    ]);
  }
  let key = account.publicKey;
  let fees = 0n;
  let gas = 0n;
  const updates: Record<string, unknown>[] = [];
  contents.forEach((c, i) => {
    if (!MANAGER_KINDS.has(c.kind)) {
      throw new OperationRejected([
        protoError("permanent", "operation.unsupported_by_sandbox", { kind: c.kind }),
      ]);
    }
    if (c.source !== source) {
      throw new OperationRejected([protoError("permanent", "validate.operation.inconsistent_sources")]);
    }
    if (c.kind === "reveal") {
      if (key !== undefined) {
        throw new OperationRejected([
          protoError("branch", "contract.previously_revealed_key", { contract: source }),
        ]);
      }
      if (i !== 0) {
        throw new OperationRejected([
          protoError("permanent", "validate.operation.incorrect_reveal_position"),
        ]);
      }
      const pk = c.public_key ?? "";
      let hash: string;
      try {
        hash = publicKeyHash(pk);
      } catch {
        throw new OperationRejected([
          protoError("permanent", "operation.invalid_public_key", { public_key: pk }),
        ]);
      }
      if (hash !== source) {
        throw new OperationRejected([
          protoError("permanent", "contract.manager.inconsistent_hash", {
            public_key: pk,
            expected_hash: source,
            provided_hash: hash,
          }),
        ]);
      }
      key = pk;
    } else if (key === undefined) {
      throw new OperationRejected([protoError("branch", "contract.unrevealed_key", { contract: source })]);
    }
    const expected = account!.counter + 1n + BigInt(i);
    const found = toBig(c.counter, "counter");
    if (found !== expected) {
      const id = found < expected ? "contract.counter_in_the_past" : "contract.counter_in_the_future";
      throw new OperationRejected([
        protoError(found < expected ? "branch" : "temporary", id, {
          contract: source,
          expected: expected.toString(),
          found: found.toString(),
        }),
      ]);
    }
    const gasLimit = toBig(c.gas_limit, "gas_limit");
    if (gasLimit > HARD_GAS_LIMIT_PER_OPERATION) {
      throw new OperationRejected([protoError("permanent", "gas_limit_too_high")]);
    }
    gas += gasLimit;
    if (gas > HARD_GAS_LIMIT_PER_BLOCK) {
      throw new OperationRejected([
        protoError("permanent", "gas_limit_too_high"),
        protoError("temporary", "gas_exhausted.block"),
      ]);
    }
    if (toBig(c.storage_limit, "storage_limit") > HARD_STORAGE_LIMIT_PER_OPERATION) {
      throw new OperationRejected([protoError("permanent", "storage_limit_too_high")]);
    }
    const fee = toBig(c.fee, "fee");
    fees += fee;
    if (fees > account!.balance) {
      throw new OperationRejected([
        protoError("temporary", "contract.balance_too_low", {
          contract: source,
          balance: (account!.balance - (fees - fee)).toString(),
          amount: fee.toString(),
        }),
        protoError("temporary", "tez.subtraction_underflow", {
          amounts: [(account!.balance - (fees - fee)).toString(), fee.toString()],
        }),
      ]);
    }
    updates.push(contractUpdate(source, -fee));
  });
  // Fees, counters and the reveal take effect now and are never backtracked.
  account = {
    ...account,
    balance: account.balance - fees,
    counter: account.counter + BigInt(contents.length),
    publicKey: key,
  };
  state.put(account);
  state.globalCounter += BigInt(contents.length);
  return key!;
}

/**
 * Applies a validated group (see {@link validateGroup}) and returns each content with its
 * receipt. Never throws for application failures: they are in the receipts.
 */
export function applyGroup(
  state: LedgerState,
  contents: readonly ManagerContent[],
  opts: ApplyOptions,
): ContentWithMetadata[] {
  const before = state.snapshot();
  const counters: GroupCounters = { originations: 0 };
  const results: { result: OperationResult; internal: Record<string, unknown>[] }[] = [];
  let failed = false;
  for (const c of contents) {
    if (failed) {
      results.push({ result: { status: "skipped" }, internal: [] });
      continue;
    }
    const tracker: Tracker = {
      source: c.source,
      milligasLimit: BigInt(c.gas_limit) * 1000n,
      milligas: 0n,
      storageLimit: BigInt(c.storage_limit),
      storageBytes: 0n,
      internal: [],
      nonce: 0,
      failureRecorded: false,
    };
    try {
      const result = applyContent(state, c, tracker, counters, opts);
      results.push({ result, internal: tracker.internal });
    } catch (err) {
      if (!(err instanceof ApplyFailure)) throw err;
      failed = true;
      results.push({
        result: tracker.failureRecorded
          ? { status: "backtracked", consumed_milligas: tracker.milligas.toString() }
          : { status: "failed", errors: err.errors },
        internal: tracker.internal,
      });
    }
  }
  if (failed) {
    state.restore(before);
    for (const r of results) {
      if (r.result.status === "applied") r.result.status = "backtracked";
      for (const i of r.internal) {
        const ir = i["result"] as OperationResult;
        if (ir.status === "applied") ir.status = "backtracked";
      }
    }
  }
  return contents.map((c, i) => {
    const r = results[i]!;
    const fee = BigInt(c.fee);
    return {
      ...c,
      metadata: {
        balance_updates:
          fee === 0n
            ? []
            : [
                contractUpdate(c.source, -fee),
                { kind: "accumulator", category: "block fees", change: fee.toString(), origin: "block" },
              ],
        operation_result: r.result,
        ...(r.internal.length > 0 ? { internal_operation_results: r.internal } : {}),
      },
    };
  });
}

function chargeGas(tracker: Tracker, milligas: bigint): void {
  tracker.milligas += milligas;
  if (tracker.milligas > tracker.milligasLimit) {
    throw new ApplyFailure([protoError("temporary", "gas_exhausted.operation")]);
  }
}

function applyContent(
  state: LedgerState,
  c: ManagerContent,
  tracker: Tracker,
  counters: GroupCounters,
  opts: ApplyOptions,
): OperationResult {
  chargeGas(tracker, GAS.managerOperation);
  let result: OperationResult;
  switch (c.kind) {
    case "reveal":
      result = { status: "applied" };
      break;
    case "transaction": {
      const amount = BigInt(c.amount ?? "0");
      result = transfer(
        state,
        {
          sender: c.source,
          destination: c.destination ?? "",
          amount,
          entrypoint: c.parameters?.entrypoint ?? "default",
          parameter: c.parameters?.value ?? UNIT,
        },
        tracker,
        counters,
        opts,
      );
      break;
    }
    case "origination":
      result = originate(
        state,
        {
          sender: c.source,
          code: c.script?.code ?? [],
          storage: c.script?.storage ?? UNIT,
          balance: BigInt(c.balance ?? "0"),
          delegate: c.delegate ?? null,
        },
        tracker,
        counters,
        opts,
      );
      break;
    case "delegation":
      result = delegate(state, c.source, c.delegate ?? null);
      break;
    default:
      throw new ApplyFailure([protoError("permanent", "operation.unsupported_by_sandbox", { kind: c.kind })]);
  }
  payStorage(state, tracker);
  result["consumed_milligas"] = tracker.milligas.toString();
  return result;
}

/** Burns the storage this content (and its internal operations) allocated, from its source. */
function payStorage(state: LedgerState, tracker: Tracker): void {
  if (tracker.storageBytes === 0n) return;
  if (tracker.storageBytes > tracker.storageLimit) {
    throw new ApplyFailure([protoError("temporary", "storage_exhausted.operation")]);
  }
  const burn = tracker.storageBytes * COST_PER_BYTE;
  const payer = state.implicit(tracker.source);
  if (payer === undefined || payer.balance < burn) {
    throw new ApplyFailure([
      protoError("temporary", "contract.cannot_pay_storage_fee"),
      protoError("temporary", "contract.balance_too_low", {
        contract: tracker.source,
        balance: (payer?.balance ?? 0n).toString(),
        amount: burn.toString(),
      }),
    ]);
  }
  state.put({ ...payer, balance: payer.balance - burn });
}

function debit(state: LedgerState, address: string, amount: bigint): void {
  const account = state.get(address);
  if (account === undefined) {
    throw new ApplyFailure([
      protoError("temporary", "contract.non_existing_contract", { contract: address }),
    ]);
  }
  if (account.balance < amount) {
    throw new ApplyFailure([
      protoError("temporary", "contract.balance_too_low", {
        contract: address,
        balance: account.balance.toString(),
        amount: amount.toString(),
      }),
      protoError("temporary", "tez.subtraction_underflow", {
        amounts: [account.balance.toString(), amount.toString()],
      }),
    ]);
  }
  state.put({ ...account, balance: account.balance - amount });
}

interface TransferRequest {
  readonly sender: string;
  readonly destination: string;
  readonly amount: bigint;
  readonly entrypoint: string;
  readonly parameter: Micheline;
}

function isUnit(m: Micheline): boolean {
  return !Array.isArray(m) && typeof m === "object" && "prim" in m && m.prim === "Unit";
}

function transfer(
  state: LedgerState,
  req: TransferRequest,
  tracker: Tracker,
  counters: GroupCounters,
  opts: ApplyOptions,
): OperationResult {
  const { destination, amount } = req;
  if (amount > 0n) debit(state, req.sender, amount);
  const updates =
    amount > 0n ? [contractUpdate(req.sender, -amount), contractUpdate(destination, amount)] : [];
  if (isImplicit(destination)) {
    if (validateKeyHash(destination) !== ValidationResult.VALID) {
      throw new ApplyFailure([
        protoError("permanent", "contract.invalid_contract_notation", { notation: destination }),
      ]);
    }
    if (amount === 0n) {
      throw new ApplyFailure([
        protoError("permanent", "contract.empty_transaction", { contract: destination }),
      ]);
    }
    if (req.entrypoint !== "default" || !isUnit(req.parameter)) {
      throw new ApplyFailure([
        protoError("permanent", "michelson_v1.no_such_entrypoint", { entrypoint: req.entrypoint }),
      ]);
    }
    const existing = state.implicit(destination);
    const account = existing ?? state.freshImplicit(destination);
    if (existing === undefined) tracker.storageBytes += ORIGINATION_SIZE;
    state.put({ ...account, balance: account.balance + amount });
    return {
      status: "applied",
      balance_updates: updates,
      ...(existing === undefined ? { allocated_destination_contract: true } : {}),
    };
  }
  const contract = state.originated(destination);
  if (contract === undefined) {
    throw new ApplyFailure([
      protoError("temporary", "contract.non_existing_contract", { contract: destination }),
    ]);
  }
  const { engine } = opts;
  let parameter: Micheline;
  try {
    parameter = engine.checkParameter(contract.script, req.entrypoint, req.parameter);
  } catch (err) {
    throw new ApplyFailure([
      protoError("permanent", "michelson_v1.bad_contract_parameter", { contract: destination }),
      ...engine.toErrors(err, destination),
    ]);
  }
  const credited: OriginatedAccount = { ...contract, balance: contract.balance + amount };
  state.put(credited);
  chargeGas(tracker, engine.codeSize(contract.script) * GAS.perScriptByte);
  let run;
  try {
    run = engine.run(contract.script, req.entrypoint, parameter, contract.storage, {
      sender: req.sender,
      source: tracker.source,
      self: destination,
      amount,
      balance: credited.balance,
      level: opts.block.level,
      now: opts.block.timestamp,
      chainId: opts.block.chainId,
      milligasLimit: tracker.milligasLimit - tracker.milligas,
      getContract: (address) => state.originated(address)?.script ?? null,
      nextOriginatedAddress: () => originatedAddress(opts.operationHash, counters.originations++),
    });
  } catch (err) {
    throw new ApplyFailure(engine.toErrors(err, destination));
  }
  chargeGas(tracker, run.milligas);
  const newStorageBytes = engine.storageSize(contract.script, run.storage);
  const storageSize = engine.codeSize(contract.script) + newStorageBytes;
  chargeGas(tracker, newStorageBytes * GAS.perStorageByte);
  const paidDiff = storageSize > contract.paidStorageSize ? storageSize - contract.paidStorageSize : 0n;
  tracker.storageBytes += paidDiff;
  // Read the account again: the balance changed only by the credit above so far.
  state.put({
    ...credited,
    storage: run.storage,
    usedStorageSize: storageSize,
    paidStorageSize: contract.paidStorageSize + paidDiff,
  });
  for (const op of run.operations) applyInternal(state, destination, op, tracker, counters, opts);
  return {
    status: "applied",
    storage: run.storage,
    balance_updates: updates,
    storage_size: storageSize.toString(),
    paid_storage_size_diff: paidDiff.toString(),
  };
}

/**
 * Applies one operation a contract emitted, then (depth-first) everything it emits. Its
 * receipt goes into the top-level content's `internal_operation_results`, in application order.
 */
function applyInternal(
  state: LedgerState,
  sender: string,
  op: EmittedOperation,
  tracker: Tracker,
  counters: GroupCounters,
  opts: ApplyOptions,
): void {
  if (op.kind === "event") {
    tracker.internal.push({
      kind: "event",
      source: sender,
      nonce: tracker.nonce++,
      type: op.type,
      tag: op.tag,
      payload: op.payload,
      result: { status: "applied", consumed_milligas: "0" },
    });
    return;
  }
  const receipt: Record<string, unknown> = { kind: op.kind, source: sender, nonce: tracker.nonce++ };
  if (op.kind === "transaction") {
    receipt["amount"] = op.amount.toString();
    receipt["destination"] = op.destination;
    if (op.entrypoint !== "default" || !isUnit(op.parameter)) {
      receipt["parameters"] = { entrypoint: op.entrypoint, value: op.parameter };
    }
  } else if (op.kind === "delegation") {
    if (op.delegate !== null) receipt["delegate"] = op.delegate;
  } else {
    receipt["balance"] = op.balance.toString();
    receipt["script"] = { code: op.code, storage: op.storage };
    if (op.delegate !== null) receipt["delegate"] = op.delegate;
  }
  tracker.internal.push(receipt);
  const gasBefore = tracker.milligas;
  try {
    chargeGas(tracker, GAS.managerOperation);
    let result: OperationResult;
    if (op.kind === "transaction") {
      result = transfer(
        state,
        {
          sender,
          destination: op.destination,
          amount: op.amount,
          entrypoint: op.entrypoint,
          parameter: op.parameter,
        },
        tracker,
        counters,
        opts,
      );
    } else if (op.kind === "delegation") {
      result = delegate(state, sender, op.delegate);
    } else {
      result = originate(
        state,
        {
          sender,
          code: op.code,
          storage: op.storage,
          balance: op.balance,
          delegate: op.delegate,
          address: op.address,
        },
        tracker,
        counters,
        opts,
      );
    }
    result["consumed_milligas"] = (tracker.milligas - gasBefore).toString();
    receipt["result"] = result;
  } catch (err) {
    if (err instanceof ApplyFailure) {
      // The innermost failure carries the errors; the operations enclosing it are backtracked.
      receipt["result"] = tracker.failureRecorded
        ? { status: "backtracked", consumed_milligas: (tracker.milligas - gasBefore).toString() }
        : { status: "failed", errors: err.errors };
      tracker.failureRecorded = true;
    }
    throw err;
  }
}

interface OriginationRequest {
  readonly sender: string;
  readonly code: Micheline;
  readonly storage: Micheline;
  readonly balance: bigint;
  readonly delegate: string | null;
  /** Set for CREATE_CONTRACT (chosen during the run); derived here for top-level originations. */
  readonly address?: string;
}

function originate(
  state: LedgerState,
  req: OriginationRequest,
  tracker: Tracker,
  counters: GroupCounters,
  opts: ApplyOptions,
): OperationResult {
  const { engine } = opts;
  let script;
  let storage: Micheline;
  try {
    script = engine.load(req.code);
    storage = engine.checkStorage(script, req.storage);
  } catch (err) {
    throw new ApplyFailure(engine.toErrors(err));
  }
  if (req.delegate !== null && !state.delegates.has(req.delegate)) {
    throw new ApplyFailure([
      protoError("temporary", "contract.manager.unregistered_delegate", { hash: req.delegate }),
    ]);
  }
  if (req.balance > 0n) debit(state, req.sender, req.balance);
  const address = req.address ?? originatedAddress(opts.operationHash, counters.originations++);
  const size = engine.codeSize(script) + engine.storageSize(script, storage);
  chargeGas(tracker, size * GAS.perScriptByte);
  tracker.storageBytes += size + ORIGINATION_SIZE;
  state.put({
    kind: "originated",
    address,
    balance: req.balance,
    ...(req.delegate !== null ? { delegate: req.delegate } : {}),
    code: req.code,
    storage,
    script,
    paidStorageSize: size,
    usedStorageSize: size,
  });
  return {
    status: "applied",
    balance_updates:
      req.balance > 0n
        ? [contractUpdate(req.sender, -req.balance), contractUpdate(address, req.balance)]
        : [],
    originated_contracts: [address],
    storage_size: size.toString(),
    paid_storage_size_diff: size.toString(),
  };
}

/**
 * Sets (or removes) the delegate of an implicit account or a contract. Only registered
 * delegates may be chosen; an implicit account delegating to itself registers as a delegate.
 */
function delegate(state: LedgerState, sender: string, target: string | null): OperationResult {
  const account = state.get(sender);
  if (account === undefined) {
    throw new ApplyFailure([protoError("temporary", "contract.non_existing_contract", { contract: sender })]);
  }
  const current = account.delegate ?? null;
  if (account.kind === "implicit" && target === sender) {
    if (state.delegates.has(sender)) {
      throw new ApplyFailure([protoError("temporary", "delegate.already_active")]);
    }
    state.delegates.add(sender);
    state.put({ ...account, delegate: sender });
    return { status: "applied" };
  }
  if (target === null) {
    if (account.kind === "implicit" && state.delegates.has(sender)) {
      throw new ApplyFailure([protoError("permanent", "delegate.no_deletion", { delegate: sender })]);
    }
    if (current === null) throw new ApplyFailure([protoError("temporary", "delegate.unchanged")]);
    const { delegate: _removed, ...rest } = account;
    state.put(rest);
    return { status: "applied" };
  }
  if (!state.delegates.has(target)) {
    throw new ApplyFailure([
      protoError("temporary", "contract.manager.unregistered_delegate", { hash: target }),
    ]);
  }
  if (current === target) throw new ApplyFailure([protoError("temporary", "delegate.unchanged")]);
  state.put({ ...account, delegate: target });
  return { status: "applied" };
}
