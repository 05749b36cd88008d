import { join } from "node:path";
import { InvalidInputError, RefusedError } from "../errors.js";
import type { Envelope } from "../envelope/envelope.js";
import { createEnvelope } from "../envelope/envelope.js";
import { writeEnvelopeFile } from "../envelope/files.js";
import { BurnRegistry } from "../chains/burn-registry.js";
import type { ColdRequest } from "../chains/request.js";
import type { EvmSweepInput, TezosSweepInput } from "../chains/sweep.js";
import { prepareEvmSweep, prepareTezosSweep } from "../chains/sweep.js";
import type { RequestPayload } from "./requests.js";
import { requestEnvelope } from "./requests.js";

/** Payload of a "sweep-plan" envelope: what the sweep moves and the request files in order. */
export interface SweepPlanPayload {
  readonly chain: "evm" | "tezos";
  readonly from: string;
  readonly successor: string;
  /** Request digests in signing order. */
  readonly digests: readonly string[];
  readonly files: readonly string[];
  /** Amount swept to the successor (wei or mutez) and worst-case costs, decimal strings. */
  readonly swept: string;
  readonly maxCosts: string;
  [key: string]: unknown;
}

/** Sweep parameters without the addresses (the registry supplies them). */
export type SweepParams =
  | ({ chain: "evm" } & Omit<EvmSweepInput, "from" | "successor"> & { from?: string; successor?: string })
  | ({ chain: "tezos" } & Omit<TezosSweepInput, "source" | "successor"> & {
        source?: string;
        successor?: string;
      });

/**
 * Prepares the sweep of a cold key to the successor recorded in the burn registry at the
 * ceremony, and writes each request as a "signing-request" envelope (`sweep-<i>.json`) plus a
 * "sweep-plan" envelope (`sweep-plan.json`) into `outDir`.
 *
 * The successor always comes from the registry: parameters that name another successor are
 * refused, so a tampered parameter file cannot redirect the sweep.
 *
 * @throws {RefusedError} KEY_NOT_REGISTERED, SUCCESSOR_MISMATCH
 * @throws {InvalidInputError} for malformed parameters (from the chains module)
 */
export async function prepareSweep(options: {
  registryFile: string;
  key: string;
  params: SweepParams;
  outDir: string;
}): Promise<{ plan: Envelope<SweepPlanPayload>; requests: ColdRequest[]; files: string[] }> {
  const registry = BurnRegistry.open(options.registryFile);
  const entry = registry.get(options.key);
  if (entry === undefined)
    throw new RefusedError("KEY_NOT_REGISTERED", `${options.key} is not in ${options.registryFile}`);
  const params = options.params as SweepParams & Record<string, unknown>;
  const stated = params.successor;
  const same = (a: string, b: string): boolean =>
    a.startsWith("0x") ? a.toLowerCase() === b.toLowerCase() : a === b;
  if (stated !== undefined && !same(String(stated), entry.successor)) {
    throw new RefusedError(
      "SUCCESSOR_MISMATCH",
      `parameters name ${String(stated)}, the registry records ${entry.successor}`,
    );
  }
  let requests: ColdRequest[];
  let swept: bigint;
  let maxCosts: bigint;
  const chain = params.chain;
  if (chain === "evm") {
    if (!entry.keyId.startsWith("0x"))
      throw new InvalidInputError("chain", `${entry.keyId} is not an EVM key`);
    const { chain: _c, ...rest } = params as { chain: "evm" } & EvmSweepInput;
    const plan = prepareEvmSweep({ ...rest, from: entry.keyId, successor: entry.successor });
    requests = [...plan.requests];
    swept = plan.ethSwept;
    maxCosts = plan.maxFees;
  } else if (chain === "tezos") {
    if (!entry.keyId.startsWith("tz"))
      throw new InvalidInputError("chain", `${entry.keyId} is not a Tezos key`);
    const { chain: _c, ...rest } = params as { chain: "tezos" } & TezosSweepInput;
    const plan = await prepareTezosSweep({ ...rest, source: entry.keyId, successor: entry.successor });
    requests = [...plan.requests];
    swept = plan.swept;
    maxCosts = plan.maxCosts;
  } else {
    throw new InvalidInputError("chain", 'expected "evm" or "tezos"');
  }
  const files: string[] = [];
  const envelopes: Envelope<RequestPayload>[] = requests.map(requestEnvelope);
  envelopes.forEach((env, i) => {
    const file = join(options.outDir, `sweep-${i + 1}.json`);
    writeEnvelopeFile(file, env, 0o644);
    files.push(file);
  });
  const plan = createEnvelope<SweepPlanPayload>("sweep-plan", {
    chain,
    from: entry.keyId,
    successor: entry.successor,
    digests: requests.map((r) => r.digest),
    files: files.map((_, i) => `sweep-${i + 1}.json`),
    swept: swept.toString(),
    maxCosts: maxCosts.toString(),
  });
  writeEnvelopeFile(join(options.outDir, "sweep-plan.json"), plan, 0o644);
  return { plan, requests, files };
}
