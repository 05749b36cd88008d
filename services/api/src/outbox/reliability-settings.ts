import { z } from "zod";
import { parseEnv, setVariables } from "../../../shared/src/env.js";

/** Injection token of {@link OutboxReliability}. */
export const OUTBOX_RELIABILITY = Symbol("OUTBOX_RELIABILITY");

/** Crash points a test may stop a worker at (see {@link TestPause}). */
export const TEST_PAUSE_POINTS = ["after-sign", "after-broadcast", "tezos-after-broadcast"] as const;
export type TestPausePoint = (typeof TEST_PAUSE_POINTS)[number];

/** How the outbox workers lease rows, detect stuck transactions and raise their fees. */
export interface OutboxReliability {
  /** How long a claimed row stays with its worker before another instance may resume it. */
  readonly leaseMs: number;
  /** A broadcast EVM transaction is stuck when not mined this long after it was sent... */
  readonly bumpAfterMs: number;
  /** ...and at least this many blocks were produced since. */
  readonly bumpAfterBlocks: number;
  /** Fee raise of a replacement, in basis points of the previous attempt (at least 1250 = 12.5 %). */
  readonly bumpBps: bigint;
  /** Most operations one run signs together (then sent and confirmed while the next is signed). */
  readonly pipelineDepth: number;
  /** TEST ONLY: stop the worker at this point (marker file, then wait forever). Unset in production. */
  readonly testPauseAt?: TestPausePoint;
  /** TEST ONLY: the marker file written when {@link testPauseAt} is reached. */
  readonly testPauseFile?: string;
}

export const DEFAULT_OUTBOX_RELIABILITY: OutboxReliability = {
  leaseMs: 30_000,
  bumpAfterMs: 60_000,
  bumpAfterBlocks: 3,
  bumpBps: 1250n,
  pipelineDepth: 64,
};

const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const envSchema = z
  .object({
    OUTBOX_LEASE_MS: int(30_000, 1_000, 3_600_000),
    EVM_BUMP_AFTER_MS: int(60_000, 100, 86_400_000),
    EVM_BUMP_AFTER_BLOCKS: int(3, 1, 100_000),
    EVM_BUMP_BPS: int(1250, 1250, 100_000),
    OUTBOX_PIPELINE_DEPTH: int(64, 1, 256),
    COLDPATH_TEST_PAUSE_AT: z.enum(TEST_PAUSE_POINTS).optional(),
    COLDPATH_TEST_PAUSE_FILE: z.string().min(1).optional(),
  })
  .refine((e) => e.COLDPATH_TEST_PAUSE_AT === undefined || e.COLDPATH_TEST_PAUSE_FILE !== undefined, {
    path: ["COLDPATH_TEST_PAUSE_FILE"],
    message: "is required when COLDPATH_TEST_PAUSE_AT is set",
  });

/**
 * Reads the outbox reliability settings from the environment (defaults when unset).
 *
 * @throws {ConfigError} naming every invalid variable.
 * @example loadOutboxReliability({ EVM_BUMP_AFTER_BLOCKS: "5" }).bumpAfterBlocks === 5
 */
export function loadOutboxReliability(env: Readonly<Record<string, string | undefined>>): OutboxReliability {
  const e = parseEnv(envSchema, setVariables(env));
  return {
    leaseMs: e.OUTBOX_LEASE_MS,
    bumpAfterMs: e.EVM_BUMP_AFTER_MS,
    bumpAfterBlocks: e.EVM_BUMP_AFTER_BLOCKS,
    bumpBps: BigInt(e.EVM_BUMP_BPS),
    pipelineDepth: e.OUTBOX_PIPELINE_DEPTH,
    ...(e.COLDPATH_TEST_PAUSE_AT ? { testPauseAt: e.COLDPATH_TEST_PAUSE_AT } : {}),
    ...(e.COLDPATH_TEST_PAUSE_FILE ? { testPauseFile: e.COLDPATH_TEST_PAUSE_FILE } : {}),
  };
}
