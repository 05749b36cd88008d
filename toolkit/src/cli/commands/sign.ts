import { InvalidInputError } from "../../errors.js";
import type { Envelope } from "../../envelope/envelope.js";
import { readEnvelopeFile } from "../../envelope/files.js";
import { unlockParty } from "../../ceremony/party.js";
import { readRequest } from "../../ceremony/requests.js";
import { readShareFile } from "../../ceremony/shares.js";
import { coldSignEvm } from "../../ceremony/sign-evm.js";
import type { Round1Payload, Round2Payload, SigningPackagePayload } from "../../ceremony/frost-flow.js";
import { frostAggregate, frostRelay, frostRound1, frostRound2 } from "../../ceremony/frost-flow.js";
import type { CommandSpec, CommandResult, OptionSpec, OptionValues } from "../framework.js";
import { listOption, requireString, stringOption } from "../framework.js";
import {
  CONFIRM_OPTIONS,
  PASSPHRASE_OPTIONS,
  confirmOptions,
  pairs,
  passphrasesFor,
  writeOut,
} from "../helpers.js";

export const evmSign: CommandSpec = {
  name: ["evm", "sign"],
  summary: "reassemble the EVM cold key from a qualified set of shares and sign a prepared EIP-1559 request",
  details:
    "Order: the share files must cover a qualified set (checked before any passphrase is asked),\n" +
    "the burn registry must allow the key, the trusted display is shown and confirmed (typed digest\n" +
    "prefix, or --expect-digest), then the shares are decrypted, verified and combined; the key must\n" +
    "match the recorded public key and the request's from; the digest is recorded in the burn\n" +
    "registry before the signature exists.",
  options: {
    request: { type: "string", value: "FILE", required: true, description: "prepared request" },
    shares: {
      type: "string",
      value: "A,B",
      multiple: true,
      required: true,
      description: "share files of the parties present",
    },
    keys: {
      type: "string",
      value: "KA,KB",
      multiple: true,
      required: true,
      description: "their .key.json files, same order",
    },
    registry: { type: "string", value: "FILE", required: true, description: "burn registry of the cold key" },
    out: {
      type: "string",
      value: "FILE",
      required: true,
      description: "where to write the signed transaction envelope",
    },
    ...CONFIRM_OPTIONS,
    ...PASSPHRASE_OPTIONS,
  },
  examples: [
    "coldpath evm sign --request withdraw.json --shares alice.share.json,carol.share.json \\\n" +
      "    --keys alice.key.json,carol.key.json --registry burn-registry.jsonl --out signed.json",
  ],
  async run(values, _positionals, io) {
    const { request, decoded } = await readRequest(requireString(values, "request"));
    if (decoded.kind !== "evm-transaction")
      throw new InvalidInputError("request", "not an EVM request; use the frost commands");
    const files = pairs(listOption(values, "shares"), listOption(values, "keys"));
    const out = requireString(values, "out");
    let passphrases: string[] | undefined;
    const holders = files.map((f, i) => ({
      shareFile: readShareFile(f.share),
      unlock: () => unlockParty(f.key, (passphrases as string[])[i] as string),
    }));
    const result = await coldSignEvm({
      request,
      decoded,
      holders,
      registryFile: requireString(values, "registry"),
      confirm: confirmOptions(values, io),
      // Passphrases are asked only once the operator has confirmed what is signed.
      beforeUnlock: async () => {
        passphrases = await passphrasesFor(
          files.map((f) => f.key),
          values,
          io,
        );
      },
    });
    writeOut(out, result.envelope, false, 0o644);
    const p = result.envelope.payload;
    return {
      json: { display: result.display, confirmation: result.confirmation.mode, ...p, out },
      text: [
        ...result.display,
        "",
        `signed by ${p.from}: tx ${p.hash}`,
        `raw transaction written to ${out}`,
      ].join("\n"),
    };
  },
};

export const frostRound1Command: CommandSpec = {
  name: ["frost", "round1"],
  summary: "FROST round 1: commit to a nonce pair for a Tezos request (stored in your nonce store)",
  options: {
    request: { type: "string", value: "FILE", required: true, description: "prepared Tezos request" },
    share: { type: "string", value: "FILE", required: true, description: "your .share.json" },
    key: { type: "string", value: "FILE", required: true, description: "your .key.json" },
    "nonce-store": {
      type: "string",
      value: "DIR",
      required: true,
      description: "your durable nonce store (never copy it)",
    },
    registry: {
      type: "string",
      value: "FILE",
      description: "burn registry: refuse early if the key may not sign this",
    },
    session: { type: "string", value: "ID", description: "signing session id (default: the request digest)" },
    out: {
      type: "string",
      value: "FILE",
      required: true,
      description: "round-1 envelope to send to the relay",
    },
    ...PASSPHRASE_OPTIONS,
  },
  examples: [
    "coldpath frost round1 --request withdraw.json --share alice.share.json --key alice.key.json --nonce-store nonces/ --out round1-alice.json",
  ],
  async run(values, _positionals, io) {
    const { decoded } = await readRequest(requireString(values, "request"));
    const shareFile = readShareFile(requireString(values, "share"));
    const keyFile = requireString(values, "key");
    const registry = stringOption(values, "registry");
    const session = stringOption(values, "session");
    const [passphrase] = await passphrasesFor([keyFile], values, io);
    const keys = unlockParty(keyFile, passphrase as string);
    try {
      const env = frostRound1({
        decoded,
        shareFile,
        keys,
        nonceStore: requireString(values, "nonce-store"),
        ...(registry !== undefined ? { registryFile: registry } : {}),
        ...(session !== undefined ? { sessionId: session } : {}),
      });
      const out = requireString(values, "out");
      writeOut(out, env);
      return {
        json: {
          party: env.payload.party,
          requestDigest: env.payload.requestDigest,
          nonceId: env.payload.nonceId,
          out,
        },
        text: `round 1 of ${env.payload.party} for ${env.payload.requestDigest} written to ${out}`,
      };
    } finally {
      keys.wipe();
    }
  },
};

const relayOptions: Record<string, OptionSpec> = {
  request: { type: "string", value: "FILE", required: true, description: "the prepared request" },
  round1: { type: "string", value: "A,B", multiple: true, required: true, description: "round-1 envelopes" },
  out: {
    type: "string",
    value: "FILE",
    required: true,
    description: "signing package to send to every signer",
  },
};

async function runRelay(values: OptionValues): Promise<CommandResult> {
  const { request, decoded } = await readRequest(requireString(values, "request"));
  const round1 = listOption(values, "round1").map((f) => readEnvelopeFile<Round1Payload>(f, "round1"));
  const env = frostRelay({ request, decoded, round1 });
  const out = requireString(values, "out");
  writeOut(out, env);
  const signers = env.payload.signers.map((s) => s.party);
  const left = round1.map((r) => r.payload.party).filter((p) => !signers.includes(p));
  return {
    json: { signers, leftOut: left, out },
    text: `signing package for ${decoded.digest}: signers ${signers.join(", ")}${left.length ? ` (left out, not needed: ${left.join(", ")})` : ""}; written to ${out}`,
  };
}

export const frostRelayCommand: CommandSpec = {
  name: ["frost", "relay"],
  summary: "relay (any machine): collect round-1 envelopes into a signing package",
  details: "The relay handles public data only: it can neither read a share nor forge a signature.",
  options: relayOptions,
  examples: [
    "coldpath frost relay --request withdraw.json --round1 round1-alice.json,round1-bob.json --out package.json",
  ],
  run: (values) => runRelay(values),
};

export const frostRelayCollect: CommandSpec = {
  ...frostRelayCommand,
  name: ["frost", "relay", "collect"],
  summary: "same as frost relay",
};

export const frostRound2Command: CommandSpec = {
  name: ["frost", "round2"],
  summary:
    "FROST round 2: check the package, show the request, confirm, consume your nonce, write your share",
  options: {
    package: { type: "string", value: "FILE", required: true, description: "signing package from the relay" },
    share: { type: "string", value: "FILE", required: true, description: "your .share.json" },
    key: { type: "string", value: "FILE", required: true, description: "your .key.json" },
    "nonce-store": {
      type: "string",
      value: "DIR",
      required: true,
      description: "the nonce store used at round 1",
    },
    registry: { type: "string", value: "FILE", required: true, description: "burn registry" },
    request: {
      type: "string",
      value: "FILE",
      description: "the request you committed to: the package must carry it",
    },
    out: {
      type: "string",
      value: "FILE",
      required: true,
      description: "round-2 envelope (your signature share)",
    },
    ...CONFIRM_OPTIONS,
    ...PASSPHRASE_OPTIONS,
  },
  examples: [
    "coldpath frost round2 --package package.json --share alice.share.json --key alice.key.json --nonce-store nonces/ --registry burn-registry.jsonl --out round2-alice.json",
  ],
  async run(values, _positionals, io) {
    const packageEnvelope = readEnvelopeFile<SigningPackagePayload>(
      requireString(values, "package"),
      "signing-package",
    );
    const shareFile = readShareFile(requireString(values, "share"));
    const keyFile = requireString(values, "key");
    const requestFile = stringOption(values, "request");
    const expected = requestFile !== undefined ? (await readRequest(requestFile)).decoded : undefined;
    let passphrase: string | undefined;
    const result = await frostRound2({
      packageEnvelope,
      shareFile,
      unlock: () => unlockParty(keyFile, passphrase as string),
      beforeUnlock: async () => {
        [passphrase] = await passphrasesFor([keyFile], values, io);
      },
      nonceStore: requireString(values, "nonce-store"),
      registryFile: requireString(values, "registry"),
      confirm: confirmOptions(values, io),
      ...(expected !== undefined ? { expectedRequest: expected } : {}),
    });
    const out = requireString(values, "out");
    writeOut(out, result.envelope);
    return {
      json: { display: result.display, party: result.envelope.payload.party, out },
      text: [
        ...result.display,
        "",
        `signature share of ${result.envelope.payload.party} written to ${out}`,
      ].join("\n"),
    };
  },
};

export const frostAggregateCommand: CommandSpec = {
  name: ["frost", "aggregate"],
  summary:
    "aggregate (any machine): verify every share, aggregate, verify the signature, write the signed operation",
  options: {
    package: { type: "string", value: "FILE", required: true, description: "signing package" },
    round2: {
      type: "string",
      value: "A,B",
      multiple: true,
      required: true,
      description: "round-2 envelopes",
    },
    out: { type: "string", value: "FILE", required: true, description: "signed operation envelope" },
  },
  examples: [
    "coldpath frost aggregate --package package.json --round2 round2-alice.json,round2-bob.json --out signed.json",
  ],
  async run(values) {
    const packageEnvelope = readEnvelopeFile<SigningPackagePayload>(
      requireString(values, "package"),
      "signing-package",
    );
    const round2 = listOption(values, "round2").map((f) =>
      readEnvelopeFile<Round2Payload>(f, "round2"),
    ) as Envelope<Round2Payload>[];
    const env = await frostAggregate({ packageEnvelope, round2 });
    const out = requireString(values, "out");
    writeOut(out, env);
    const p = env.payload;
    return {
      json: { ...p, out },
      text: [
        `signed operation ${p.hash} from ${p.source}`,
        `  signature ${p.signature}`,
        `  signers ${p.signers.join(", ")}`,
        `written to ${out}`,
      ].join("\n"),
    };
  },
};
