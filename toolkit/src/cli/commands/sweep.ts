import { mkdirSync } from "node:fs";
import { InvalidInputError } from "../../errors.js";
import type { SweepParams } from "../../ceremony/sweep.js";
import { prepareSweep } from "../../ceremony/sweep.js";
import type { CommandSpec } from "../framework.js";
import { requireString } from "../framework.js";
import { readJson } from "../helpers.js";

export const sweepPrepare: CommandSpec = {
  name: ["sweep", "prepare"],
  summary: "prepare the sweep of a burned cold key to the successor recorded at the ceremony",
  details:
    "The parameters file holds what a network would tell (balances, nonce or counter, fees, branch)\n" +
    'and "chain": "evm" or "tezos". The successor always comes from the burn registry; a parameters\n' +
    "file naming another successor is refused. Writes sweep-<i>.json requests and sweep-plan.json.",
  options: {
    registry: { type: "string", value: "FILE", required: true, description: "burn registry" },
    key: {
      type: "string",
      value: "ADDRESS",
      required: true,
      description: "the burned cold address (0x… or tz1…)",
    },
    params: { type: "string", value: "FILE", required: true, description: "sweep parameters (JSON)" },
    out: { type: "string", value: "DIR", required: true, description: "folder for the sweep requests" },
  },
  examples: [
    "coldpath sweep prepare --registry burn-registry.jsonl --key tz1... --params sweep-params.json --out sweep/",
  ],
  async run(values) {
    const params = readJson(requireString(values, "params"), "params");
    if (typeof params !== "object" || params === null || Array.isArray(params)) {
      throw new InvalidInputError("params", "expected a JSON object");
    }
    const outDir = requireString(values, "out");
    mkdirSync(outDir, { recursive: true });
    const { plan, files } = await prepareSweep({
      registryFile: requireString(values, "registry"),
      key: requireString(values, "key"),
      params: params as SweepParams,
      outDir,
    });
    const p = plan.payload;
    return {
      json: { ...p, files },
      text: [
        `sweep of ${p.from} to successor ${p.successor}: ${files.length} request(s), swept ${p.swept}, worst-case costs ${p.maxCosts}`,
        ...files.map((f, i) => `  ${i + 1}. ${f}  digest ${p.digests[i]}`),
        "Sign them in order (evm sign, or frost rounds), then broadcast in order.",
      ].join("\n"),
    };
  },
};
