import { randomUUID } from "node:crypto";
import { Inject, Injectable, Optional } from "@nestjs/common";
import type { JsonValue } from "../../../shared/src/canonical-json.js";
import { ConflictError, NotFoundError, ServiceError } from "../../../shared/src/errors.js";
import type { Database, Tx } from "../../../db/src/database.js";
import type {
  CustomersRepository,
  OperationsRepository,
  StakingContractRow,
  StakingContractsRepository,
  TezosOutboxRepository,
} from "../../../db/src/repositories.js";
import { AuditService } from "../audit/audit.service.js";
import {
  PolicyEnforcementService,
  type OperationStatusAfterPolicy,
} from "../policy/policy-enforcement.service.js";
import { ChainEventsService, type IndexedStakingState } from "../indexer/chain-events.service.js";
import type { TezosIntent } from "../chains/tezos-chain.js";
import type { RequestContext } from "../governance/governance.service.js";
import {
  CUSTOMERS_REPOSITORY,
  DATABASE,
  OPERATIONS_REPOSITORY,
  STAKING_CONTRACTS_REPOSITORY,
  STAKING_RUNTIME,
  TEZOS_OUTBOX_REPOSITORY,
} from "../tokens.js";
import type { StakingRuntime } from "./settings.js";

export interface QueuedStakingOperation {
  readonly operationId: string;
  /** `pending_approval` when the active policy requires approvals first. */
  readonly status: OperationStatusAfterPolicy;
}

/**
 * The staking flow: writes the operation, its exact intent (the Tezos outbox row) and the audit
 * entry in the caller's transaction. Nothing is signed here; the Tezos worker does that later.
 */
@Injectable()
export class StakingService {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(STAKING_RUNTIME) private readonly runtime: StakingRuntime | null,
    @Inject(CUSTOMERS_REPOSITORY) private readonly customers: CustomersRepository,
    @Inject(OPERATIONS_REPOSITORY) private readonly operations: OperationsRepository,
    @Inject(TEZOS_OUTBOX_REPOSITORY) private readonly outbox: TezosOutboxRepository,
    @Inject(STAKING_CONTRACTS_REPOSITORY) private readonly contracts: StakingContractsRepository,
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

  /** @throws {ServiceError} `staking_not_configured` (503) when no node or signer is set up. */
  configured(): StakingRuntime {
    if (!this.runtime) {
      throw new ServiceError(
        "staking_not_configured",
        503,
        "Tezos staking is not configured (TEZOS_STAKING=off)",
      );
    }
    return this.runtime;
  }

  /**
   * Queues the origination of the customer's delegation contract (cold = the customer's tz1,
   * hot = the signer's tz1).
   *
   * @throws {NotFoundError} unknown customer. @throws {ConflictError} `contract_exists`, `cold_is_hot`.
   */
  async originate(tx: Tx, ctx: RequestContext, customerId: string): Promise<QueuedStakingOperation> {
    const { chain } = this.configured();
    const customer = await this.customers.findById(tx, customerId);
    if (!customer) throw new NotFoundError("customer", customerId);
    const existing = await this.contracts.findByCustomer(tx, customerId);
    if (existing) {
      throw new ConflictError(
        "contract_exists",
        `customer already has a delegation contract (operation ${existing.operationId})`,
        "id",
      );
    }
    const hot = await this.#hot(chain);
    const cold = customer.tezosColdAddress;
    if (cold === hot) {
      throw new ConflictError(
        "cold_is_hot",
        "the customer's cold address is the hot key",
        "tezosColdAddress",
      );
    }
    const operationId = await this.#queue(tx, ctx, customerId, "staking.originate", {
      kind: "originate",
      cold,
      hot,
    });
    await this.contracts.insert(tx, {
      customerId,
      contractAddress: null,
      coldAddress: cold,
      hotAddress: hot,
      operationId,
      createdAt: ctx.now,
    });
    return { operationId, status: this.#statusOf(operationId) };
  }

  /**
   * Queues `%set_delegate` on the customer's contract (`null` removes the baker).
   *
   * @throws {ConflictError} `no_contract` before the origination is confirmed.
   */
  async setDelegate(
    tx: Tx,
    ctx: RequestContext,
    customerId: string,
    baker: string | null,
  ): Promise<QueuedStakingOperation> {
    this.configured();
    const contract = await this.#contractOf(tx, customerId);
    if (contract.contractAddress === null) {
      throw new ConflictError(
        "contract_not_ready",
        `the delegation contract's origination (operation ${contract.operationId}) is not confirmed yet`,
        "id",
      );
    }
    const operationId = await this.#queue(tx, ctx, customerId, "staking.delegate", {
      kind: "setDelegate",
      contract: contract.contractAddress,
      baker,
    });
    return { operationId, status: this.#statusOf(operationId) };
  }

  /** Chain truth for the customer's delegation contract: KT1, balance, delegate, storage. */
  async status(customerId: string): Promise<
    {
      customerId: string;
      originateOperationId: string;
      contractAddress: string | null;
      balanceMutez: string | null;
      delegate: string | null;
      storageCold: string | null;
      storageHot: string | null;
    } & IndexedStakingState
  > {
    const { chain } = this.configured();
    const contract = await this.#contractOf(this.database.db, customerId);
    const base = {
      customerId,
      originateOperationId: contract.operationId,
      ...(this.chainEvents
        ? await this.chainEvents.stakingState(customerId, contract.contractAddress)
        : { indexed: null, operations: [] }),
    };
    if (contract.contractAddress === null) {
      return {
        ...base,
        contractAddress: null,
        balanceMutez: null,
        delegate: null,
        storageCold: null,
        storageHot: null,
      };
    }
    let onChain;
    try {
      onChain = await chain.contractStatus(contract.contractAddress);
    } catch (error) {
      throw new ServiceError(
        "chain_unavailable",
        503,
        `could not read ${contract.contractAddress}: ${(error as Error).message}`,
      );
    }
    return {
      ...base,
      contractAddress: onChain.address,
      balanceMutez: onChain.balanceMutez.toString(),
      delegate: onChain.delegate,
      storageCold: onChain.storage.cold,
      storageHot: onChain.storage.hot,
    };
  }

  async #hot(chain: StakingRuntime["chain"]): Promise<string> {
    try {
      return await chain.hotAddress();
    } catch (error) {
      throw new ServiceError(
        "signer_unavailable",
        503,
        `could not read the Tezos hot key: ${(error as Error).message}`,
      );
    }
  }

  async #contractOf(ex: Tx | Database["db"], customerId: string): Promise<StakingContractRow> {
    const customer = await this.customers.findById(ex, customerId);
    if (!customer) throw new NotFoundError("customer", customerId);
    const contract = await this.contracts.findByCustomer(ex, customerId);
    if (!contract) {
      throw new ConflictError(
        "no_contract",
        "the customer has no delegation contract yet; originate one first",
        "id",
      );
    }
    return contract;
  }

  async #queue(
    tx: Tx,
    ctx: RequestContext,
    customerId: string,
    kind: string,
    intent: TezosIntent,
  ): Promise<string> {
    const operationId = randomUUID();
    await this.operations.insertQueued(tx, {
      id: operationId,
      customerId,
      chain: "tezos",
      kind,
      apiKeyId: ctx.principal.keyId,
      idempotencyKey: ctx.idempotencyKey,
      requestHash: ctx.requestHash,
      at: ctx.now,
    });
    await this.outbox.insert(tx, {
      operationId,
      intent: intent as unknown as JsonValue,
      forgedBytes: null,
      signature: null,
      signedAtLevel: null,
      leaseOwner: null,
      leaseUntil: null,
      attempts: 0,
    });
    await this.audit.record(
      tx,
      ctx.principal,
      `${kind}.queued`,
      { operationId, customerId, intent: intent as unknown as JsonValue },
      ctx.now,
    );
    // Policy last, in the same transaction: a deny (403) rolls the operation back.
    if (this.policy) {
      this.#policyStatus.set(
        operationId,
        await this.policy.enforceTezos(tx, ctx, { operationId, customerId, intent }),
      );
    }
    return operationId;
  }
}
