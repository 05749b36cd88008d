import { randomUUID } from "node:crypto";
import { Inject, Injectable, Optional } from "@nestjs/common";
import { getAddress } from "ethers";
import type { JsonValue } from "../../../shared/src/canonical-json.js";
import { ConflictError, NotFoundError, ServiceError, ValidationError } from "../../../shared/src/errors.js";
import type { Database, Tx } from "../../../db/src/database.js";
import type {
  CustomersRepository,
  EvmOutboxRepository,
  GovernanceProxiesRepository,
  GovernanceProxyRow,
  OperationsRepository,
} from "../../../db/src/repositories.js";
import { AuditService } from "../audit/audit.service.js";
import {
  PolicyEnforcementService,
  type OperationStatusAfterPolicy,
} from "../policy/policy-enforcement.service.js";
import { ChainEventsService, type IndexedGovernanceState } from "../indexer/chain-events.service.js";
import type { Principal } from "../auth/roles.js";
import {
  CUSTOMERS_REPOSITORY,
  DATABASE,
  EVM_OUTBOX_REPOSITORY,
  GOVERNANCE_PROXIES_REPOSITORY,
  GOVERNANCE_RUNTIME,
  OPERATIONS_REPOSITORY,
} from "../tokens.js";
import { chiefInterface, erc20Interface, factoryInterface, proxyInterface } from "./abi.js";
import { customerSalt, predictProxyAddress } from "./create2.js";
import { parseProxyLog } from "./proxy-logs.js";
import { encodeVoteCandidates } from "./vote-calldata.js";
import type { VoteInput } from "./governance.dto.js";
import type { GovernanceRuntime } from "./settings.js";

/** Who asks, under which idempotency key, and when: what every queued operation records. */
export interface RequestContext {
  readonly principal: Principal;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly now: Date;
}

/** A hot action on an existing proxy, as queued. */
export type HotAction =
  | { kind: "lock"; wad: bigint }
  | { kind: "free"; wad: bigint }
  | { kind: "freeAll" }
  | { kind: "vote"; vote: VoteInput };

export interface QueuedOperation {
  readonly operationId: string;
  /** `pending_approval` when the active policy requires approvals first. */
  readonly status: OperationStatusAfterPolicy;
  readonly proxyAddress: string;
}

const EVENT_NAMES = ["Locked", "Freed", "Voted"] as const;

/** Most proxy rows kept in memory; the oldest goes first when full. */
const PROXY_CACHE_SIZE = 10_000;

/**
 * The governance flow: validates against the chain where it can, then writes the operation, its
 * exact intended call (the outbox row) and the audit entry in the caller's transaction. Nothing
 * is signed here; the outbox worker does that later.
 */
@Injectable()
export class GovernanceService {
  #hot: string | undefined;
  /** Proxy rows by customer id (see {@link GovernanceService.#proxyOf}). */
  readonly #proxies = new Map<string, GovernanceProxyRow>();

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(GOVERNANCE_RUNTIME) private readonly runtime: GovernanceRuntime | null,
    @Inject(CUSTOMERS_REPOSITORY) private readonly customers: CustomersRepository,
    @Inject(OPERATIONS_REPOSITORY) private readonly operations: OperationsRepository,
    @Inject(EVM_OUTBOX_REPOSITORY) private readonly outbox: EvmOutboxRepository,
    @Inject(GOVERNANCE_PROXIES_REPOSITORY) private readonly proxies: GovernanceProxiesRepository,
    @Inject(AuditService) private readonly audit: AuditService,
    @Optional() @Inject(ChainEventsService) private readonly chainEvents?: ChainEventsService,
    @Optional() @Inject(PolicyEnforcementService) private readonly policy?: PolicyEnforcementService,
  ) {}

  /** Status each queued operation got from the policy, read once by the method that queued it. */
  readonly #policyStatus = new Map<string, OperationStatusAfterPolicy>();
  #statusOf(operationId: string): OperationStatusAfterPolicy {
    const status = this.#policyStatus.get(operationId) ?? "queued";
    this.#policyStatus.delete(operationId);
    return status;
  }

  /** @throws {ServiceError} `governance_not_configured` (503) when no chain or signer is set up. */
  configured(): GovernanceRuntime {
    if (!this.runtime) {
      throw new ServiceError(
        "governance_not_configured",
        503,
        "the EVM governance flow is not configured (EVM_FACTORY unset)",
      );
    }
    return this.runtime;
  }

  /** The hot key's address, asked of the signer once. */
  async hotAddress(): Promise<string> {
    const runtime = this.configured();
    this.#hot ??= getAddress((await runtime.signer.key(runtime.settings.hotKeyId)).address);
    return this.#hot;
  }

  /**
   * Queues `factory.createProxy(salt, cold, hot)` and records the predicted proxy address.
   *
   * @throws {NotFoundError} unknown customer. @throws {ConflictError} `proxy_exists`.
   */
  async originate(tx: Tx, ctx: RequestContext, customerId: string): Promise<QueuedOperation> {
    const { settings } = this.configured();
    const customer = await this.customers.findById(tx, customerId);
    if (!customer) throw new NotFoundError("customer", customerId);
    const existing = await this.proxies.findByCustomer(tx, customerId);
    if (existing) {
      throw new ConflictError(
        "proxy_exists",
        `customer already has vote proxy ${existing.proxyAddress} (operation ${existing.operationId})`,
        "id",
      );
    }
    const hot = await this.hotAddress();
    const cold = getAddress(customer.evmColdAddress);
    if (cold === hot) {
      throw new ConflictError("cold_is_hot", "the customer's cold address is the hot key", "evmColdAddress");
    }
    const salt = customerSalt(customerId);
    const proxyAddress = predictProxyAddress(settings.factory, settings.implementation, salt, cold, hot);
    const data = factoryInterface.encodeFunctionData("createProxy", [salt, cold, hot]);
    const operationId = await this.#queue(
      tx,
      ctx,
      customerId,
      "governance.originate",
      settings.factory,
      data,
      {
        call: "createProxy",
        factory: settings.factory,
        customerId: salt,
        cold,
        hot,
        predictedProxy: proxyAddress,
      },
    );
    await this.proxies.insert(tx, {
      customerId,
      proxyAddress,
      factoryAddress: settings.factory,
      coldAddress: cold,
      hotAddress: hot,
      salt,
      operationId,
      createdAt: ctx.now,
    });
    return { operationId, status: this.#statusOf(operationId), proxyAddress };
  }

  /**
   * Queues a hot action on the customer's proxy after checking amounts against the chain.
   *
   * @throws {ValidationError} `insufficient_balance` / `insufficient_deposit` naming `wad`.
   * @throws {ConflictError} `no_proxy` when the customer has no proxy yet.
   */
  async hotAction(
    tx: Tx,
    ctx: RequestContext,
    customerId: string,
    action: HotAction,
  ): Promise<QueuedOperation> {
    const proxy = await this.#proxyOf(tx, customerId);
    const address = proxy.proxyAddress;
    let data: string;
    let intent: Record<string, JsonValue>;
    switch (action.kind) {
      case "lock": {
        const balance = await this.#read(
          this.configured().settings.gov,
          erc20Interface,
          "balanceOf",
          address,
        );
        if (action.wad > balance) {
          throw new ValidationError(
            "insufficient_balance",
            "wad",
            `the proxy holds ${balance} base units, fewer than ${action.wad}`,
          );
        }
        data = proxyInterface.encodeFunctionData("lock", [action.wad]);
        intent = { call: "lock", wad: action.wad.toString() };
        break;
      }
      case "free": {
        const deposits = await this.#read(
          this.configured().settings.chief,
          chiefInterface,
          "deposits",
          address,
        );
        if (action.wad > deposits) {
          throw new ValidationError(
            "insufficient_deposit",
            "wad",
            `the proxy has ${deposits} base units locked in the chief, fewer than ${action.wad}`,
          );
        }
        data = proxyInterface.encodeFunctionData("free", [action.wad]);
        intent = { call: "free", wad: action.wad.toString() };
        break;
      }
      case "freeAll":
        data = proxyInterface.encodeFunctionData("freeAll", []);
        intent = { call: "freeAll" };
        break;
      case "vote":
        if (action.vote.kind === "candidates") {
          data = encodeVoteCandidates(action.vote.candidates);
          intent = { call: "vote", candidates: action.vote.candidates };
        } else {
          data = proxyInterface.encodeFunctionData("vote(bytes32)", [action.vote.slate]);
          intent = { call: "vote", slate: action.vote.slate };
        }
        break;
    }
    const operationId = await this.#queue(tx, ctx, customerId, `governance.${action.kind}`, address, data, {
      ...intent,
      proxy: address,
    });
    return { operationId, status: this.#statusOf(operationId), proxyAddress: address };
  }

  /**
   * Chain truth for the customer's proxy: whether it exists, GOV it holds, GOV locked in the
   * chief, the slate it votes for, and its Locked/Freed/Voted events.
   */
  async status(customerId: string): Promise<
    {
      customerId: string;
      proxyAddress: string;
      deployed: boolean;
      govBalance: string;
      chiefDeposits: string;
      slate: string;
      originateOperationId: string;
      events: { name: string; value: string; blockNumber: number; transactionHash: string }[];
      candidates: string[];
    } & IndexedGovernanceState
  > {
    const { settings, chain } = this.configured();
    const proxy = await this.#proxyOf(this.database.db, customerId);
    const address = proxy.proxyAddress;
    const [deployed, govBalance, chiefDeposits, slate, logs] = await Promise.all([
      chain.isProxy(settings.factory, address).catch((error: unknown) => {
        throw new ServiceError(
          "chain_unavailable",
          503,
          `could not read isProxy: ${(error as Error).message}`,
        );
      }),
      this.#read(settings.gov, erc20Interface, "balanceOf", address),
      this.#read(settings.chief, chiefInterface, "deposits", address),
      this.#readRaw(settings.chief, chiefInterface, "votes", address),
      // Every log of the proxy: the anonymous Voted has no topic0 to filter on (its topic is the slate).
      chain.logs(address, settings.fromBlock),
    ]);
    const events = logs.flatMap((log) => {
      const parsed = parseProxyLog(proxyInterface, log);
      if (!parsed || !(EVENT_NAMES as readonly string[]).includes(parsed.name)) return [];
      return [
        {
          name: parsed.name,
          value: String(parsed.args[0]),
          blockNumber: log.blockNumber,
          transactionHash: log.transactionHash,
        },
      ];
    });
    const candidates = await this.#slateMembers(settings.chief, String(slate), settings.maxCandidates);
    const indexed = this.chainEvents
      ? await this.chainEvents.governanceState(customerId, address)
      : { indexed: null, operations: [] };
    return {
      customerId,
      proxyAddress: address,
      deployed,
      govBalance: govBalance.toString(),
      chiefDeposits: chiefDeposits.toString(),
      slate: String(slate),
      originateOperationId: proxy.operationId,
      events,
      candidates,
      ...indexed,
    };
  }

  /** The candidates of `slate`, read from the chief's `slates(slate, i)` until it has no more. */
  async #slateMembers(chief: string, slate: string, max: number): Promise<string[]> {
    if (/^0x0{64}$/.test(slate)) return [];
    const { chain } = this.configured();
    const members: string[] = [];
    for (let i = 0; i < max; i++) {
      try {
        const out = await chain.call({
          to: chief,
          data: chiefInterface.encodeFunctionData("slates", [slate, i]),
        });
        members.push(getAddress(String(chiefInterface.decodeFunctionResult("slates", out)[0])));
      } catch {
        // Reading past the end of the slate's array reverts: that is its length.
        break;
      }
    }
    return members;
  }

  /**
   * The customer's proxy row. A found row is kept in memory: customers and their proxy rows are
   * only ever inserted, never updated or deleted, so a row once read stays true; a missing one is
   * asked again every time (it may be originated next).
   */
  async #proxyOf(ex: Tx | Database["db"], customerId: string): Promise<GovernanceProxyRow> {
    this.configured();
    const known = this.#proxies.get(customerId);
    if (known !== undefined) return known;
    const { customerExists, proxy } = await this.proxies.findWithCustomer(ex, customerId);
    if (!customerExists) throw new NotFoundError("customer", customerId);
    if (!proxy) {
      throw new ConflictError("no_proxy", "the customer has no vote proxy yet; originate one first", "id");
    }
    // Only rows other transactions committed: this path never writes a proxy row, so what it reads
    // was committed before its statement began.
    if (this.#proxies.size >= PROXY_CACHE_SIZE) this.#proxies.delete(this.#proxies.keys().next().value!);
    this.#proxies.set(customerId, proxy);
    return proxy;
  }

  async #queue(
    tx: Tx,
    ctx: RequestContext,
    customerId: string,
    kind: string,
    to: string,
    data: string,
    intent: Record<string, JsonValue>,
  ): Promise<string> {
    const operationId = randomUUID();
    const from = await this.hotAddress();
    // The operation and its outbox row in one statement: one round trip on the accept path.
    await this.outbox.insertWithOperation(
      tx,
      {
        id: operationId,
        customerId,
        chain: "evm",
        kind,
        apiKeyId: ctx.principal.keyId,
        idempotencyKey: ctx.idempotencyKey,
        requestHash: ctx.requestHash,
        at: ctx.now,
      },
      { fromAddress: from, toAddress: to, data, intent },
    );
    await this.audit.record(
      tx,
      ctx.principal,
      `${kind}.queued`,
      { operationId, customerId, from, to, data, intent },
      ctx.now,
    );
    // Policy last, in the same transaction: a deny (403) rolls the operation back.
    if (this.policy) {
      const { settings } = this.configured();
      const status = await this.policy.enforceEvm(tx, ctx, {
        operationId,
        customerId,
        kind,
        to,
        intent,
        chainId: settings.chainId,
        chief: settings.chief,
      });
      this.#policyStatus.set(operationId, status);
    }
    return operationId;
  }

  async #readRaw(to: string, iface: typeof erc20Interface, fn: string, arg: string): Promise<unknown> {
    const { chain } = this.configured();
    try {
      const out = await chain.call({ to, data: iface.encodeFunctionData(fn, [arg]) });
      return iface.decodeFunctionResult(fn, out)[0];
    } catch (error) {
      // The caller learns the chain could not be read; the cause goes to the log, not the client.
      throw new ServiceError(
        "chain_unavailable",
        503,
        `could not read ${fn} from ${to}: ${(error as Error).message}`,
      );
    }
  }

  async #read(to: string, iface: typeof erc20Interface, fn: string, arg: string): Promise<bigint> {
    return BigInt(String(await this.#readRaw(to, iface, fn, arg)));
  }
}
