import { z } from "zod";
import { parseEnv, setVariables } from "../../../shared/src/env.js";

/** How the chain indexer polls and how deep a block must be before it counts as final. */
export interface IndexerSettings {
  /** `false` keeps the tables and routes but never polls (INDEXER=off). */
  readonly enabled: boolean;
  readonly pollMs: number;
  readonly evmConfirmations: number;
  readonly tezosConfirmations: number;
  /** Most blocks one pass reads. */
  readonly batchBlocks: number;
}

export const DEFAULT_INDEXER_SETTINGS: IndexerSettings = Object.freeze({
  enabled: true,
  pollMs: 1000,
  evmConfirmations: 12,
  tezosConfirmations: 2,
  batchBlocks: 500,
});

const count = (min: number, max: number) =>
  z.coerce
    .number({ error: "must be an integer" })
    .int("must be an integer")
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

const envSchema = z.object({
  INDEXER: z.enum(["on", "off"], { error: "must be on or off" }).default("on"),
  INDEXER_POLL_MS: count(10, 600_000).default(DEFAULT_INDEXER_SETTINGS.pollMs),
  INDEXER_EVM_CONFIRMATIONS: count(0, 1000).default(DEFAULT_INDEXER_SETTINGS.evmConfirmations),
  INDEXER_TEZOS_CONFIRMATIONS: count(0, 1000).default(DEFAULT_INDEXER_SETTINGS.tezosConfirmations),
  INDEXER_BATCH_BLOCKS: count(1, 100_000).default(DEFAULT_INDEXER_SETTINGS.batchBlocks),
});

/**
 * Reads the indexer settings from the environment (every variable optional).
 *
 * @throws {ConfigError} naming every invalid variable, e.g. `INDEXER_EVM_CONFIRMATIONS: must be at most 1000`.
 * @example const settings = loadIndexerSettings(process.env);
 */
export function loadIndexerSettings(env: Readonly<Record<string, string | undefined>>): IndexerSettings {
  const e = parseEnv(
    envSchema,
    setVariables(env, (name) => name.startsWith("INDEXER")),
  );
  return {
    enabled: e.INDEXER === "on",
    pollMs: e.INDEXER_POLL_MS,
    evmConfirmations: e.INDEXER_EVM_CONFIRMATIONS,
    tezosConfirmations: e.INDEXER_TEZOS_CONFIRMATIONS,
    batchBlocks: e.INDEXER_BATCH_BLOCKS,
  };
}
