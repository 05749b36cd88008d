import { InvalidInputError } from "../../errors.js";
import { createParty, readPartyPublic, unlockParty, writeParty } from "../../ceremony/party.js";
import type { CommandSpec } from "../framework.js";
import { requireString, stringOption } from "../framework.js";
import { PASSPHRASE_OPTIONS, passphrasesFor } from "../helpers.js";

function scryptOption(value: string | undefined): { N: number; r: number; p: number } | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1024 || (n & (n - 1)) !== 0) {
    throw new InvalidInputError("scrypt-n", `must be a power of two of at least 1024, got ${value}`);
  }
  return { N: n, r: 8, p: 1 };
}

export const partyCreate: CommandSpec = {
  name: ["party", "create"],
  summary: "create a party's key pairs (share encryption + transcript signing)",
  details:
    "Writes <out>/<name>.party.json (public: hand it to the ceremony) and <out>/<name>.key.json\n" +
    "(secret halves encrypted under the passphrase with scrypt + XChaCha20-Poly1305; keep it with\n" +
    "the party). The passphrase is asked twice in a terminal.",
  options: {
    name: {
      type: "string",
      value: "NAME",
      required: true,
      description: "party name: a-z, 0-9, '.', '_', '-'",
    },
    out: { type: "string", value: "DIR", required: true, description: "folder to write the two files into" },
    "scrypt-n": {
      type: "string",
      value: "N",
      description: "scrypt cost N (default 131072; lower only for tests)",
    },
    ...PASSPHRASE_OPTIONS,
  },
  examples: [
    "coldpath party create --name alice --out parties/",
    "coldpath party create --name bob --out parties/ --passphrase-file bob.pass",
  ],
  async run(values, _positionals, io) {
    const name = requireString(values, "name");
    const out = requireString(values, "out");
    const nonInteractive =
      values.passphrases !== undefined ||
      values["passphrase-file"] !== undefined ||
      io.env.COLDPATH_PASSPHRASE !== undefined;
    const [passphrase] = await passphrasesFor([`${name}.key.json`], values, io);
    if (!nonInteractive) {
      const again = await io.prompt("Repeat the passphrase: ", { secret: true });
      if (again !== passphrase) throw new InvalidInputError("passphrase", "the two passphrases differ");
    }
    const scrypt = scryptOption(stringOption(values, "scrypt-n"));
    const party = createParty(name, passphrase as string, scrypt ? { scrypt } : {});
    const files = writeParty(out, party);
    const pub = party.public.payload;
    return {
      json: {
        party: name,
        keyId: pub.keyId,
        encryptionKey: pub.encryptionKey,
        signingKey: pub.signingKey,
        ...files,
      },
      text: [
        `party ${name} created (key id ${pub.keyId})`,
        `  public:  ${files.publicFile}   (give to the ceremony)`,
        `  secret:  ${files.secretFile}   (encrypted; keep with ${name})`,
      ].join("\n"),
    };
  },
};

export const partyCheck: CommandSpec = {
  name: ["party", "check"],
  summary: "check a party key file opens with its passphrase and matches its public file",
  options: {
    key: { type: "string", value: "FILE", required: true, description: "the party's .key.json" },
    public: { type: "string", value: "FILE", description: "the party's .party.json to compare with" },
    ...PASSPHRASE_OPTIONS,
  },
  examples: ["coldpath party check --key alice.key.json --public alice.party.json"],
  async run(values, _positionals, io) {
    const keyFile = requireString(values, "key");
    const [passphrase] = await passphrasesFor([keyFile], values, io);
    const keys = unlockParty(keyFile, passphrase as string);
    try {
      const pubFile = stringOption(values, "public");
      if (pubFile !== undefined && readPartyPublic(pubFile).payload.keyId !== keys.keyId) {
        throw new InvalidInputError("public", `${pubFile} is not the public file of this key`);
      }
      return {
        json: { party: keys.party, keyId: keys.keyId, ok: true },
        text: `${keyFile}: opens, party ${keys.party}, key id ${keys.keyId}`,
      };
    } finally {
      keys.wipe();
    }
  },
};
