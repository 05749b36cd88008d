import { randomUUID } from "node:crypto";
import { Module, type DynamicModule } from "@nestjs/common";
import { APP_FILTER, APP_GUARD, NestFactory } from "@nestjs/core";
import { FastifyAdapter, type NestFastifyApplication } from "@nestjs/platform-fastify";
import { DocumentBuilder, SwaggerModule } from "@nestjs/swagger";
import type { FastifyReply, FastifyRequest } from "fastify";
import { openDatabase, type Database } from "../../db/src/database.js";
import {
  ApiKeysRepository,
  AuditRepository,
  CustomersRepository,
  EvmNoncesRepository,
  EvmOutboxRepository,
  GovernanceProxiesRepository,
  IdempotencyRepository,
  OperationsRepository,
  StakingContractsRepository,
  TezosOutboxRepository,
} from "../../db/src/repositories.js";
import { ApiKeysController } from "./api-keys/api-keys.controller.js";
import { ApiKeysService } from "./api-keys/api-keys.service.js";
import { APPROVALS_CONTROLLERS, APPROVALS_PROVIDERS } from "./approvals/approvals.module.js";
import { POLICY_CONTROLLERS, policyProviders } from "./policy/policy.module.js";
import type { PolicySettings } from "./policy/settings.js";
import { AuditController } from "./audit/audit.controller.js";
import { AuditService } from "./audit/audit.service.js";
import { ApiKeyGuard } from "./auth/api-key.guard.js";
import { VerifiedKeyCache } from "./auth/verified-key-cache.js";
import type { AuthenticatedRequest } from "./auth/roles.js";
import type { ApiConfig } from "./config.js";
import { CustomersController } from "./customers/customers.controller.js";
import { CustomersService } from "./customers/customers.service.js";
import { GovernanceController } from "./governance/governance.controller.js";
import { GovernanceService } from "./governance/governance.service.js";
import { governanceFromEnv } from "./governance/runtime.js";
import type { GovernanceRuntime } from "./governance/settings.js";
import { HealthController } from "./health/health.controller.js";
import { ErrorFilter } from "./http/error.filter.js";
import { IdempotencyService } from "./http/idempotency.service.js";
import { HttpMetrics } from "./http/metrics.js";
import type { JsonLogger } from "./logger.js";
import { OperationsController } from "./operations/operations.controller.js";
import { OutboxWorker } from "./outbox/outbox.worker.js";
import {
  DEFAULT_OUTBOX_RELIABILITY,
  loadOutboxReliability,
  OUTBOX_RELIABILITY,
  type OutboxReliability,
} from "./outbox/reliability-settings.js";
import { stakingFromEnv, type StakingRuntime } from "./staking/settings.js";
import { StakingController } from "./staking/staking.controller.js";
import { StakingService } from "./staking/staking.service.js";
import { TezosOutboxWorker } from "./staking/tezos.worker.js";
import { ChainIndexer } from "./indexer/chain-indexer.js";
import { IndexerModule } from "./indexer/indexer.module.js";
import { loadIndexerSettings, type IndexerSettings } from "./indexer/settings.js";
import {
  API_KEYS_REPOSITORY,
  AUDIT_REPOSITORY,
  CLOCK,
  CONFIG,
  CUSTOMERS_REPOSITORY,
  DATABASE,
  EVM_NONCES_REPOSITORY,
  EVM_OUTBOX_REPOSITORY,
  GOVERNANCE_PROXIES_REPOSITORY,
  GOVERNANCE_RUNTIME,
  IDEMPOTENCY_REPOSITORY,
  LOGGER,
  METRICS,
  OPERATIONS_REPOSITORY,
  STAKING_CONTRACTS_REPOSITORY,
  STAKING_RUNTIME,
  TEZOS_OUTBOX_REPOSITORY,
  type Clock,
} from "./tokens.js";

/** What the app is built from; tests pass their own database, logger and clock. */
export interface AppDependencies {
  readonly config: ApiConfig;
  readonly database: Database;
  readonly logger: JsonLogger;
  readonly metrics?: HttpMetrics;
  readonly clock?: Clock;
  /** EVM chain, signer and contract settings; without them the governance routes answer 503. */
  readonly governance?: GovernanceRuntime;
  /** Tezos node and hot signer; without them the staking routes answer 503. */
  readonly staking?: StakingRuntime;
  /** Outbox leases, fee bumps, pipelining (defaults when absent; `openApp` reads the environment). */
  readonly reliability?: OutboxReliability;
  /** Chain indexer polling and confirmation depths; defaults when absent. */
  readonly indexer?: IndexerSettings;
  /** Genesis quorum and enforcement switch; read from the environment when absent. */
  readonly policy?: PolicySettings;
}

@Module({})
export class ApiModule {
  static register(deps: AppDependencies, metrics: HttpMetrics): DynamicModule {
    return {
      module: ApiModule,
      imports: [IndexerModule.register(deps)],
      controllers: [
        HealthController,
        CustomersController,
        OperationsController,
        AuditController,
        ApiKeysController,
        GovernanceController,
        StakingController,
        ...APPROVALS_CONTROLLERS,
        ...POLICY_CONTROLLERS,
      ],
      providers: [
        { provide: CONFIG, useValue: deps.config },
        { provide: DATABASE, useValue: deps.database },
        { provide: LOGGER, useValue: deps.logger },
        { provide: METRICS, useValue: metrics },
        { provide: CLOCK, useValue: deps.clock ?? (() => new Date()) },
        { provide: CUSTOMERS_REPOSITORY, useValue: new CustomersRepository() },
        { provide: API_KEYS_REPOSITORY, useValue: new ApiKeysRepository() },
        { provide: OPERATIONS_REPOSITORY, useValue: new OperationsRepository() },
        { provide: IDEMPOTENCY_REPOSITORY, useValue: new IdempotencyRepository() },
        { provide: AUDIT_REPOSITORY, useValue: new AuditRepository() },
        { provide: GOVERNANCE_RUNTIME, useValue: deps.governance ?? null },
        { provide: OUTBOX_RELIABILITY, useValue: deps.reliability ?? DEFAULT_OUTBOX_RELIABILITY },
        { provide: EVM_OUTBOX_REPOSITORY, useValue: new EvmOutboxRepository() },
        { provide: EVM_NONCES_REPOSITORY, useValue: new EvmNoncesRepository() },
        { provide: GOVERNANCE_PROXIES_REPOSITORY, useValue: new GovernanceProxiesRepository() },
        GovernanceService,
        OutboxWorker,
        { provide: STAKING_RUNTIME, useValue: deps.staking ?? null },
        { provide: TEZOS_OUTBOX_REPOSITORY, useValue: new TezosOutboxRepository() },
        { provide: STAKING_CONTRACTS_REPOSITORY, useValue: new StakingContractsRepository() },
        StakingService,
        TezosOutboxWorker,
        AuditService,
        CustomersService,
        ApiKeysService,
        IdempotencyService,
        { provide: VerifiedKeyCache, useFactory: () => new VerifiedKeyCache() },
        ...APPROVALS_PROVIDERS,
        ...policyProviders(deps.policy),
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}

/**
 * Builds the NestJS application on fastify: routes, auth guard, error mapping, request log,
 * metrics and the OpenAPI page (`/docs`, `/docs-json`). Call `listen` or `inject` on the result.
 */
export async function createApp(deps: AppDependencies): Promise<NestFastifyApplication> {
  const metrics = deps.metrics ?? new HttpMetrics();
  const { logger } = deps;
  const adapter = new FastifyAdapter({
    bodyLimit: deps.config.bodyLimitBytes,
    genReqId: () => randomUUID(),
    logger: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.register(deps, metrics), adapter, {
    logger,
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();

  const started = new WeakMap<FastifyRequest, bigint>();
  fastify.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    started.set(request, process.hrtime.bigint());
    void reply.header("x-request-id", request.id);
  });
  fastify.addHook("onResponse", async (request: FastifyRequest, reply: FastifyReply) => {
    const began = started.get(request);
    const seconds = began === undefined ? 0 : Number(process.hrtime.bigint() - began) / 1e9;
    const route = request.routeOptions.url ?? "unmatched";
    metrics.observe(request.method, route, reply.statusCode, seconds);
    // One line per request. Headers are deliberately not logged: they carry API keys.
    logger.emit("info", "request", {
      requestId: request.id,
      method: request.method,
      route,
      path: request.url.split("?")[0],
      status: reply.statusCode,
      durationMs: Math.round(seconds * 1e6) / 1e3,
      actor: (request as FastifyRequest & AuthenticatedRequest).principal?.actor,
    });
  });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle("Coldpath custody API")
      .setDescription(
        "Customers, operations and the audit log of the Coldpath custody service. Every POST needs an Idempotency-Key header.",
      )
      .setVersion("0.1.0")
      .addBearerAuth({ type: "http", scheme: "bearer", description: "API key: cpk_<id>_<secret>" })
      .build(),
  );
  SwaggerModule.setup("docs", app, document, { jsonDocumentUrl: "docs-json" });

  await app.init();
  await fastify.ready();
  return app;
}

/**
 * Opens the configured database and builds the app on it, starting the background work the
 * configured roles ask for; closing the app leaves the database open.
 */
export async function openApp(
  config: ApiConfig,
  logger: JsonLogger,
): Promise<{ app: NestFastifyApplication; database: Database }> {
  const database = await openDatabase(config.database);
  try {
    const governance = governanceFromEnv(process.env, config);
    const staking = stakingFromEnv(process.env, config);
    const app = await createApp({
      config,
      database,
      logger,
      ...(governance ? { governance } : {}),
      ...(staking ? { staking } : {}),
      indexer: loadIndexerSettings(process.env),
      reliability: loadOutboxReliability(process.env),
    });
    // SERVICE_ROLES: an `http`-only process leaves the outbox to a `workers` process (decision 0973).
    if (config.roles.has("workers")) {
      app.get(OutboxWorker).start();
      app.get(TezosOutboxWorker).start();
    }
    if (config.roles.has("indexer")) app.get(ChainIndexer).start();
    return { app, database };
  } catch (error) {
    await database.close();
    throw error;
  }
}
