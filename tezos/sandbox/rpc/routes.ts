/**
 * The node RPC subset Taquito's `TezosToolkit` uses, mapped onto the sandbox chain. Paths and
 * JSON shapes follow the octez node; everything not listed here is a JSON 404.
 */
import type { Block, OperationJson, SandboxChain } from "../ledger/chain.js";
import { constantsJson, PROTOCOL_HASH } from "../ledger/constants.js";
import { OperationRejected, protoError } from "../ledger/errors.js";
import type { Account } from "../ledger/state.js";

/** What a handler answers: a JSON body and an HTTP status. */
export interface RpcReply {
  readonly status: number;
  readonly body: unknown;
}

export interface RpcRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

type Handler = (chain: SandboxChain, m: RegExpExecArray, body: unknown) => Promise<unknown> | unknown;

interface Route {
  readonly method: "GET" | "POST";
  readonly pattern: RegExp;
  readonly handler: Handler;
}

/** Answer with this to send a node-style 404 from inside a handler. */
class NotFound extends Error {}

const BLOCK = "/chains/main/blocks/([^/]+)";
const CONTRACT = `${BLOCK}/context/contracts/([^/]+)`;

function blockOf(chain: SandboxChain, id: string): Block {
  const rel = /^(.+)~(\d+)$/.exec(id);
  let block: Block | undefined;
  if (rel) {
    const base = chain.block(rel[1]!);
    block = base === undefined ? undefined : chain.blocks[base.level - Number(rel[2])];
  } else {
    block = chain.block(id);
  }
  if (block === undefined) throw new NotFound();
  return block;
}

/**
 * Reads against a block other than the head would need historical state, which the sandbox
 * does not keep; it answers from the current state (documented limit).
 */
function accountOf(chain: SandboxChain, m: RegExpExecArray): Account | undefined {
  blockOf(chain, m[1]!);
  return chain.account(m[2]!);
}

function existing(chain: SandboxChain, m: RegExpExecArray): Account {
  const account = accountOf(chain, m);
  if (account === undefined) throw new NotFound();
  return account;
}

function header(chain: SandboxChain, b: Block): Record<string, unknown> {
  return {
    protocol: chain.protocol,
    chain_id: chain.chainId,
    hash: b.hash,
    level: b.level,
    proto: 1,
    predecessor: b.predecessor,
    timestamp: b.timestamp,
    validation_pass: 4,
    // Placeholders in the right base58 formats: the sandbox has no context tree, operation list
    // Merkle hash, payload or baker signature to compute them from, and no client checks them.
    operations_hash: "LLoZS2LW3rEi7KYU4ouBQtorua37aWWCtpDmv1n2x3xoKi6sVXLWp",
    fitness: ["02", b.level.toString(16).padStart(8, "0"), "", "ffffffff", "00000000"],
    context: "CoV8SQumiVU9saiu3FVNeDNewJaJH8yWdsGF3WLdsRr2P9S7MzCj",
    payload_hash: "vh1g87ZG6scSYxKhspAUzprQVuLAyoa5qMBKcUfjgnQGnFb3dJcG",
    payload_round: 0,
    liquidity_baking_toggle_vote: "pass",
    signature:
      "sigQVTY9CkYw8qL6Xa7QWestkLSdtPv6HZ4ToSMHDcRot3BwRGwZhSwY8Vvk3L4KBxGaj5bjtX9mMM2abUV8RKxK4D5G8nd6",
  };
}

function metadata(chain: SandboxChain, b: Block): Record<string, unknown> {
  return {
    protocol: chain.protocol,
    next_protocol: chain.protocol,
    test_chain_status: { status: "not_running" },
    max_operations_ttl: Math.min(b.level, 450),
    max_operation_data_length: 32768,
    max_block_header_length: 289,
    max_operation_list_length: [
      { max_size: 4194304, max_op: 2048 },
      { max_size: 32768 },
      { max_size: 135168, max_op: 132 },
      { max_size: 524288 },
    ],
    // The sandbox bakes alone; name its first registered delegate as proposer and baker.
    proposer: firstDelegate(chain),
    baker: firstDelegate(chain),
    level_info: {
      level: b.level,
      level_position: Math.max(b.level - 1, 0),
      cycle: Math.floor(Math.max(b.level - 1, 0) / 128),
      cycle_position: Math.max(b.level - 1, 0) % 128,
      expected_commitment: false,
    },
    balance_updates: [],
    consumed_milligas: "0",
  };
}

function firstDelegate(chain: SandboxChain): string | null {
  return [...chain.state.delegates].sort()[0] ?? null;
}

function fullBlock(chain: SandboxChain, b: Block): Record<string, unknown> {
  return {
    protocol: chain.protocol,
    chain_id: chain.chainId,
    hash: b.hash,
    header: header(chain, b),
    metadata: metadata(chain, b),
    // Four validation passes; manager operations live in the last one.
    operations: [[], [], [], b.operations],
  };
}

function contractJson(account: Account): Record<string, unknown> {
  if (account.kind === "implicit") {
    return {
      balance: account.balance.toString(),
      ...(account.delegate !== undefined ? { delegate: account.delegate } : {}),
      counter: account.counter.toString(),
    };
  }
  return {
    balance: account.balance.toString(),
    ...(account.delegate !== undefined ? { delegate: account.delegate } : {}),
    script: { code: account.code, storage: account.storage },
  };
}

function operationJson(body: unknown): OperationJson {
  const b = body as { operation?: OperationJson } | OperationJson | null;
  const op = b !== null && typeof b === "object" && "operation" in b && b.operation ? b.operation : b;
  if (op === null || typeof op !== "object" || !Array.isArray((op as OperationJson).contents)) {
    throw new OperationRejected([protoError("permanent", "operation.invalid_json")]);
  }
  return op as OperationJson;
}

const routes: Route[] = [
  { method: "GET", pattern: /^\/chains\/main\/chain_id$/, handler: (c) => c.chainId },
  {
    method: "GET",
    pattern: /^\/version$/,
    handler: () => ({
      version: { major: 24, minor: 0, additional_info: "release" },
      network_version: { chain_name: "SANDBOXED_TEZOS", distributed_db_version: 2, p2p_version: 1 },
      commit_info: { commit_hash: "coldpath-sandbox", commit_date: "" },
    }),
  },
  {
    method: "GET",
    pattern: /^\/chains\/main\/mempool\/filter$/,
    handler: () => ({
      minimal_fees: "100",
      minimal_nanotez_per_gas_unit: ["100", "1"],
      minimal_nanotez_per_byte: ["1000", "1"],
      replace_by_fee_factor: ["21", "20"],
      max_operations: 10000,
      max_total_bytes: 10000000,
    }),
  },
  {
    method: "GET",
    pattern: /^\/chains\/main\/mempool\/pending_operations$/,
    handler: () => ({
      validated: [],
      refused: [],
      outdated: [],
      branch_refused: [],
      branch_delayed: [],
      unprocessed: [],
    }),
  },
  { method: "GET", pattern: new RegExp(`^${BLOCK}$`), handler: (c, m) => fullBlock(c, blockOf(c, m[1]!)) },
  {
    method: "GET",
    pattern: new RegExp(`^${BLOCK}/header$`),
    handler: (c, m) => header(c, blockOf(c, m[1]!)),
  },
  { method: "GET", pattern: new RegExp(`^${BLOCK}/hash$`), handler: (c, m) => blockOf(c, m[1]!).hash },
  {
    method: "GET",
    pattern: new RegExp(`^${BLOCK}/metadata$`),
    handler: (c, m) => metadata(c, blockOf(c, m[1]!)),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${BLOCK}/protocols$`),
    handler: (c, m) => (blockOf(c, m[1]!), { protocol: PROTOCOL_HASH, next_protocol: PROTOCOL_HASH }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${BLOCK}/live_blocks$`),
    handler: (c, m) => {
      const b = blockOf(c, m[1]!);
      return c.blocks.slice(Math.max(0, b.level - 450), b.level + 1).map((x) => x.hash);
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^${BLOCK}/operations$`),
    handler: (c, m) => [[], [], [], blockOf(c, m[1]!).operations],
  },
  {
    method: "GET",
    pattern: new RegExp(`^${BLOCK}/operation_hashes$`),
    handler: (c, m) => [[], [], [], blockOf(c, m[1]!).operations.map((o) => o.hash)],
  },
  {
    method: "GET",
    pattern: new RegExp(`^${BLOCK}/context/constants$`),
    handler: (c, m) => (blockOf(c, m[1]!), constantsJson()),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${BLOCK}/context/delegates$`),
    handler: (c) => [...c.state.delegates].sort(),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${BLOCK}/context/delegates/([^/]+)$`),
    handler: (c, m) => {
      const address = m[2]!;
      if (!c.state.delegates.has(address)) throw new NotFound();
      const delegated = [...c.state.accounts.values()].filter((a) => a.delegate === address);
      const staking = delegated.reduce((sum, a) => sum + a.balance, 0n);
      return {
        full_balance: (c.account(address)?.balance ?? 0n).toString(),
        current_frozen_deposits: "0",
        frozen_deposits: "0",
        staking_balance: staking.toString(),
        delegated_contracts: delegated.map((a) => a.address),
        delegated_balance: (staking - (c.account(address)?.balance ?? 0n)).toString(),
        deactivated: false,
        grace_period: 5,
      };
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^${CONTRACT}$`),
    handler: (c, m) => {
      const account = accountOf(c, m);
      if (account !== undefined) return contractJson(account);
      if (m[2]!.startsWith("KT1")) throw new NotFound();
      // An unallocated implicit account: a new account starts at the global counter.
      return { balance: "0", counter: c.state.globalCounter.toString() };
    },
  },
  {
    method: "GET",
    pattern: new RegExp(
      `^${CONTRACT}/(balance|spendable|full_balance|balance_and_frozen_bonds|spendable_and_frozen_bonds)$`,
    ),
    handler: (c, m) => {
      const account = accountOf(c, m);
      if (account === undefined && m[2]!.startsWith("KT1")) throw new NotFound();
      return (account?.balance ?? 0n).toString();
    },
  },
  {
    method: "GET",
    pattern: new RegExp(
      `^${CONTRACT}/(staked_balance|unstaked_finalizable_balance|unstaked_frozen_balance)$`,
    ),
    handler: (c, m) => (accountOf(c, m), "0"),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${CONTRACT}/counter$`),
    handler: (c, m) => {
      const account = accountOf(c, m);
      if (account?.kind === "originated") throw new NotFound();
      return (account?.counter ?? c.state.globalCounter).toString();
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^${CONTRACT}/manager_key$`),
    handler: (c, m) => {
      const account = accountOf(c, m);
      if (account?.kind === "originated") throw new NotFound();
      return account?.publicKey ?? null;
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^${CONTRACT}/delegate$`),
    handler: (c, m) => {
      const d = accountOf(c, m)?.delegate;
      if (d === undefined) throw new NotFound();
      return d;
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^${CONTRACT}/storage$`),
    handler: (c, m) => {
      const a = existing(c, m);
      if (a.kind !== "originated") throw new NotFound();
      return a.storage;
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^${CONTRACT}/storage/(used_space|paid_space)$`),
    handler: (c, m) => {
      const a = existing(c, m);
      if (a.kind !== "originated") throw new NotFound();
      return (m[3] === "used_space" ? a.usedStorageSize : a.paidStorageSize).toString();
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^${CONTRACT}/script$`),
    handler: (c, m) => {
      const a = existing(c, m);
      if (a.kind !== "originated") throw new NotFound();
      return { code: a.code, storage: a.storage };
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`^${CONTRACT}/script/normalized$`),
    handler: (c, m) => {
      const a = existing(c, m);
      if (a.kind !== "originated") throw new NotFound();
      return { code: a.code, storage: a.storage };
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^${CONTRACT}/entrypoints$`),
    handler: (c, m) => {
      const a = existing(c, m);
      if (a.kind !== "originated") return { entrypoints: {} };
      return { entrypoints: c.engine.entrypoints(a.script) };
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`^${BLOCK}/helpers/forge/operations$`),
    handler: (c, m, body) => (blockOf(c, m[1]!), c.forge(operationJson(body))),
  },
  {
    method: "POST",
    pattern: new RegExp(`^${BLOCK}/helpers/preapply/operations$`),
    handler: (c, m, body) => {
      blockOf(c, m[1]!);
      if (!Array.isArray(body))
        throw new OperationRejected([protoError("permanent", "operation.invalid_json")]);
      return c.preapply(body as OperationJson[]);
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`^${BLOCK}/helpers/scripts/(simulate_operation|run_operation)$`),
    handler: (c, m, body) => {
      blockOf(c, m[1]!);
      const chainId = (body as { chain_id?: unknown } | null)?.chain_id;
      if (chainId !== undefined && chainId !== c.chainId) {
        throw new OperationRejected([
          { kind: "permanent", id: "node.prevalidation.wrong_chain_id", chain_id: chainId },
        ]);
      }
      return c.simulate(operationJson(body));
    },
  },
  {
    method: "POST",
    pattern: /^\/injection\/operation$/,
    handler: (c, _m, body) => {
      if (typeof body !== "string")
        throw new OperationRejected([protoError("permanent", "operation.invalid_bytes")]);
      return c.inject(body);
    },
  },
];

/**
 * Routes one request. Node errors become HTTP 500 with the error list (as octez answers),
 * unknown paths a JSON 404 naming the path.
 */
export async function handleRpc(chain: SandboxChain, req: RpcRequest): Promise<RpcReply> {
  const notFound = { status: 404, body: { kind: "not_found", path: req.path } };
  for (const route of routes) {
    if (route.method !== req.method) continue;
    const m = route.pattern.exec(req.path);
    if (m === null) continue;
    try {
      return { status: 200, body: await route.handler(chain, m, req.body) };
    } catch (err) {
      if (err instanceof NotFound) return notFound;
      if (err instanceof OperationRejected) return { status: 500, body: err.errors };
      const message = err instanceof Error ? err.message : String(err);
      return { status: 500, body: [{ kind: "temporary", id: "sandbox.internal_error", message }] };
    }
  }
  return notFound;
}
