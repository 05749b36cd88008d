import { existsSync } from "node:fs";
import { InvalidInputError } from "../../errors.js";
import type { PartyKeys } from "../../crypto/party-keys.js";
import { readPartyPublic, unlockParty } from "../../ceremony/party.js";
import type { CeremonyCurve } from "../../ceremony/run.js";
import { runCeremony } from "../../ceremony/run.js";
import { linkCeremonies } from "../../ceremony/link.js";
import { verifyTranscript } from "../../ceremony/verify.js";
import { readTranscript, countersignTranscript } from "../../ceremony/transcript.js";
import { writeEnvelopeFile } from "../../envelope/files.js";
import type { CommandSpec } from "../framework.js";
import { UsageError, listOption, requireString, stringOption } from "../framework.js";
import { PASSPHRASE_OPTIONS, passphrasesFor, readJson, readText } from "../helpers.js";

function structureInput(value: string): unknown {
  // Inline JSON or a file holding it.
  if (value.trim().startsWith("{")) {
    try {
      return JSON.parse(value);
    } catch {
      throw new InvalidInputError("structure", "inline JSON does not parse");
    }
  }
  return readJson(value, "structure");
}

export const ceremonyRun: CommandSpec = {
  name: ["ceremony", "run"],
  summary: "generate the cold keys and their successors, split, encrypt to parties, write the transcript",
  details:
    "For each curve the successor key is generated first, then the current key, which records it.\n" +
    "Every share is verified against the commitments before it is encrypted to its party. The parties\n" +
    "whose key files are given with --signer sign the transcript.",
  options: {
    structure: {
      type: "string",
      value: "FILE|JSON",
      required: true,
      description: "access structure (JSON form)",
    },
    party: {
      type: "string",
      value: "FILE",
      multiple: true,
      required: true,
      description: "a party's .party.json (one per party)",
    },
    signer: {
      type: "string",
      value: "FILE",
      multiple: true,
      required: true,
      description: ".key.json of a party present (signs the transcript)",
    },
    out: {
      type: "string",
      value: "DIR",
      required: true,
      description: "empty folder for the ceremony's files",
    },
    curves: { type: "string", value: "LIST", description: "secp256k1,ed25519 (default both)" },
    dice: { type: "string", value: "ROLLS", description: "dice rolls 1-6 mixed into the OS randomness" },
    "dice-file": { type: "string", value: "FILE", description: "file holding the dice rolls" },
    "evm-contract": {
      type: "string",
      value: "0x..",
      multiple: true,
      description: "vote proxy of the EVM key (limits post-burn calls)",
    },
    "tezos-contract": {
      type: "string",
      value: "KT1..",
      multiple: true,
      description: "delegation contract of the Tezos key",
    },
    ...PASSPHRASE_OPTIONS,
  },
  examples: [
    `coldpath ceremony run --structure '{"threshold":2,"of":["alice","bob","carol"]}' \\\n` +
      "    --party alice.party.json --party bob.party.json --party carol.party.json \\\n" +
      "    --signer alice.key.json --signer bob.key.json --signer carol.key.json --dice '3 6 1 4 ...' --out ceremony/",
  ],
  async run(values, _positionals, io) {
    const structure = structureInput(requireString(values, "structure"));
    const out = requireString(values, "out");
    const publics = listOption(values, "party").map(readPartyPublic);
    const signerFiles = listOption(values, "signer");
    const diceFile = stringOption(values, "dice-file");
    const dice =
      stringOption(values, "dice") ?? (diceFile !== undefined ? readText(diceFile, "dice-file") : undefined);
    const curves = listOption(values, "curves");
    for (const c of curves)
      if (c !== "secp256k1" && c !== "ed25519") throw new UsageError(`unknown curve ${c}`);
    if (existsSync(`${out}/transcript.json`))
      throw new InvalidInputError("out", `${out} already holds a ceremony`);
    const passphrases = await passphrasesFor(signerFiles, values, io);
    const unlocked: PartyKeys[] = [];
    try {
      for (const [i, f] of signerFiles.entries()) unlocked.push(unlockParty(f, passphrases[i] as string));
      const byName = new Map(unlocked.map((k) => [k.party, k]));
      for (const k of unlocked) {
        if (!publics.some((p) => p.payload.party === k.party))
          throw new InvalidInputError("signer", `${k.party} has no --party file`);
      }
      const evm = listOption(values, "evm-contract");
      const tezos = listOption(values, "tezos-contract");
      const result = runCeremony({
        parties: publics.map((p) => ({
          public: p,
          ...(byName.has(p.payload.party) ? { keys: byName.get(p.payload.party) } : {}),
        })),
        structure,
        outDir: out,
        ...(curves.length > 0 ? { curves: curves as CeremonyCurve[] } : {}),
        ...(dice !== undefined ? { entropy: dice } : {}),
        contracts: { ...(evm.length ? { evm } : {}), ...(tezos.length ? { tezos } : {}) },
      });
      const body = result.transcript.payload.body;
      return {
        json: {
          ceremonyId: result.ceremonyId,
          structure: body.structure.description,
          keys: result.keys.map((k) => ({ id: k.id, address: k.address, successor: k.successor })),
          transcript: result.transcriptFile,
          registry: result.registryFile,
          shares: result.shareFiles,
          signedBy: result.signedBy,
        },
        text: [
          `ceremony ${result.ceremonyId}: ${body.structure.description}`,
          ...result.keys.map(
            (k) => `  ${k.id.padEnd(16)} ${k.address}${k.successor ? `  -> successor ${k.successor}` : ""}`,
          ),
          `  transcript  ${result.transcriptFile} (signed by ${result.signedBy.join(", ")})`,
          `  registry    ${result.registryFile}`,
          ...Object.entries(result.shareFiles).map(([p, f]) => `  share of ${p}: ${f}`),
          `entropy: ${body.entropy.source}${body.entropy.diceRolls ? ` (${body.entropy.diceRolls} rolls)` : ""}`,
        ].join("\n"),
      };
    } finally {
      for (const k of unlocked) k.wipe();
    }
  },
};

export const transcriptVerify: CommandSpec = {
  name: ["transcript", "verify"],
  summary: "re-check a ceremony transcript: hashes, signatures, commitments, addresses",
  options: {
    transcript: {
      type: "string",
      value: "FILE",
      required: true,
      description: "transcript.json (artefacts next to it)",
    },
    registry: { type: "string", value: "FILE", description: "also check this burn registry's birth records" },
    "require-all": { type: "boolean", description: "fail unless every party signed" },
  },
  examples: [
    "coldpath transcript verify --transcript ceremony/transcript.json --registry ceremony/burn-registry.jsonl",
  ],
  async run(values) {
    const file = requireString(values, "transcript");
    const registry = stringOption(values, "registry");
    const report = verifyTranscript(file, {
      requireAllSignatures: values["require-all"] === true,
      ...(registry !== undefined ? { registry } : {}),
    });
    return {
      json: { ok: true, ...report },
      text: [
        `transcript OK: ceremony ${report.ceremonyId} of ${report.createdAt}`,
        `  structure: ${report.structure}`,
        `  signed by: ${report.signedBy.join(", ")}${report.notSignedBy.length ? `; not signed by ${report.notSignedBy.join(", ")}` : ""}`,
        ...report.keys.map(
          (k) => `  ${k.id.padEnd(16)} ${k.address}${k.successor ? ` -> ${k.successor}` : ""}`,
        ),
        `  ${report.artefacts} artefacts hashed${report.registryChecked ? ", burn registry checked" : ""}`,
      ].join("\n"),
    };
  },
};

export const transcriptSign: CommandSpec = {
  name: ["transcript", "sign"],
  summary: "add the signature of a party that was absent at the ceremony",
  options: {
    transcript: {
      type: "string",
      value: "FILE",
      required: true,
      description: "transcript.json, updated in place",
    },
    key: { type: "string", value: "FILE", required: true, description: "the party's .key.json" },
    ...PASSPHRASE_OPTIONS,
  },
  examples: ["coldpath transcript sign --transcript ceremony/transcript.json --key carol.key.json"],
  async run(values, _positionals, io) {
    const file = requireString(values, "transcript");
    const keyFile = requireString(values, "key");
    verifyTranscript(file);
    const [passphrase] = await passphrasesFor([keyFile], values, io);
    const keys = unlockParty(keyFile, passphrase as string);
    try {
      const updated = countersignTranscript(readTranscript(file), keys);
      writeEnvelopeFile(file, updated, 0o644);
      const signedBy = updated.payload.signatures.map((s) => s.party);
      return {
        json: { signedBy },
        text: `${keys.party} signed; transcript now signed by ${signedBy.join(", ")}`,
      };
    } finally {
      keys.wipe();
    }
  },
};

export const ceremonyLink: CommandSpec = {
  name: ["ceremony", "link"],
  summary: "activate an earlier ceremony's successor keys: link them to a later ceremony's current keys",
  details:
    "After a sweep the funds sit on the earlier ceremony's successor, which has no successor of its\n" +
    "own and so may not sign. Run a new ceremony, then link: both transcripts are verified and the\n" +
    "registry records earlier successor -> new current key, and new current key -> new successor.",
  options: {
    previous: {
      type: "string",
      value: "FILE",
      required: true,
      description: "transcript of the earlier ceremony",
    },
    next: { type: "string", value: "FILE", required: true, description: "transcript of the new ceremony" },
    registry: {
      type: "string",
      value: "FILE",
      required: true,
      description: "the recovery kit's burn registry",
    },
  },
  examples: [
    "coldpath ceremony link --previous ceremony-1/transcript.json --next ceremony-2/transcript.json \\\n" +
      "    --registry ceremony-1/burn-registry.jsonl",
  ],
  async run(values) {
    const records = linkCeremonies({
      previousTranscript: requireString(values, "previous"),
      nextTranscript: requireString(values, "next"),
      registryFile: requireString(values, "registry"),
    });
    return {
      json: { registry: requireString(values, "registry"), links: records },
      text: records.map((r) => `${r.chain.padEnd(6)}${r.key} -> successor ${r.successor}`).join("\n"),
    };
  },
};
