import { readFileSync } from "node:fs";
import { renderRequest, unknownCalls } from "../../chains/display.js";
import { BurnRegistry } from "../../chains/burn-registry.js";
import { readRequest } from "../../ceremony/requests.js";
import type { CommandSpec } from "../framework.js";
import { requireString } from "../framework.js";

export const requestShow: CommandSpec = {
  name: ["request", "show"],
  summary: "trusted display: decode a prepared request from its bytes and show what would be signed",
  details:
    "The summary inside the file is never trusted: every field is re-derived from the transaction or\n" +
    "operation bytes, and a file whose summary or digest differs from its bytes is refused.",
  options: {
    request: {
      type: "string",
      value: "FILE",
      required: true,
      description: "prepared request (envelope or bare JSON)",
    },
  },
  examples: ["coldpath request show --request withdraw.json"],
  async run(values) {
    const { decoded } = await readRequest(requireString(values, "request"));
    const lines = renderRequest(decoded);
    return {
      json: {
        kind: decoded.kind,
        chain: decoded.chain,
        digest: decoded.digest,
        summary: decoded.summary,
        unknownCalls: unknownCalls(decoded),
        display: lines,
      },
      text: lines.join("\n"),
    };
  },
};

export const burnList: CommandSpec = {
  name: ["burn", "list"],
  summary: "list the cold keys of a burn registry, their successors and what they signed",
  options: {
    registry: { type: "string", value: "FILE", required: true, description: "burn-registry.jsonl" },
  },
  positionals: "[ADDRESS ...]",
  examples: ["coldpath burn list --registry ceremony/burn-registry.jsonl"],
  async run(values, positionals) {
    const file = requireString(values, "registry");
    const registry = BurnRegistry.open(file);
    const ids =
      positionals.length > 0
        ? positionals
        : [
            ...new Set(
              readFileSync(file, "utf8")
                .split("\n")
                .filter(Boolean)
                .map((l) => (JSON.parse(l) as { keyId: string }).keyId),
            ),
          ];
    const keys = ids.map((id) => {
      const entry = registry.get(id);
      return entry === undefined
        ? { keyId: id, registered: false, burned: false, successor: null, signed: [] as readonly string[] }
        : {
            keyId: entry.keyId,
            registered: true,
            burned: entry.signed.length > 0,
            successor: entry.successor,
            signed: entry.signed,
            contracts: entry.contracts ?? [],
          };
    });
    return {
      json: { registry: file, keys },
      text: keys
        .map((k) =>
          k.registered
            ? `${k.keyId}  ${k.burned ? `BURNED (${k.signed.length} signature(s))` : "unused"}  successor ${k.successor}${k.signed.map((d) => `\n    signed ${d}`).join("")}`
            : `${k.keyId}  not registered`,
        )
        .join("\n"),
    };
  },
};
