import { IntegrityError } from "../../errors.js";
import { unlockParty } from "../../ceremony/party.js";
import { commitmentsDigest, openShare, readShareFile } from "../../ceremony/shares.js";
import { readTranscript } from "../../ceremony/transcript.js";
import { verifyTranscript } from "../../ceremony/verify.js";
import type { CommandSpec } from "../framework.js";
import { requireString, stringOption } from "../framework.js";
import { PASSPHRASE_OPTIONS, passphrasesFor } from "../helpers.js";

export const shareVerify: CommandSpec = {
  name: ["share", "verify"],
  summary: "decrypt your share file and verify every share against the public commitments",
  details:
    "Each party runs this after the ceremony (and before any recovery) on its own share file. With\n" +
    "--transcript the commitments are also compared with the verified transcript.",
  options: {
    share: { type: "string", value: "FILE", required: true, description: "your .share.json" },
    key: { type: "string", value: "FILE", required: true, description: "your .key.json" },
    transcript: { type: "string", value: "FILE", description: "the ceremony transcript to compare with" },
    ...PASSPHRASE_OPTIONS,
  },
  examples: [
    "coldpath share verify --share ceremony/shares/alice.share.json --key alice.key.json --transcript ceremony/transcript.json",
  ],
  async run(values, _positionals, io) {
    const loaded = readShareFile(requireString(values, "share"));
    const transcriptFile = stringOption(values, "transcript");
    if (transcriptFile !== undefined) {
      verifyTranscript(transcriptFile);
      const body = readTranscript(transcriptFile).payload.body;
      if (body.ceremonyId !== loaded.envelope.payload.ceremonyId) {
        throw new IntegrityError(
          `share file ${loaded.file}`,
          "belongs to another ceremony than the transcript",
        );
      }
      for (const k of loaded.envelope.payload.keys) {
        const t = body.keys.find((x) => x.id === k.id);
        if (t === undefined || t.commitmentsSha256 !== commitmentsDigest(k.commitments)) {
          throw new IntegrityError(
            `share file ${loaded.file}`,
            `commitments of ${k.id} differ from the transcript`,
          );
        }
      }
    }
    const keyFile = requireString(values, "key");
    const [passphrase] = await passphrasesFor([keyFile], values, io);
    const keys = unlockParty(keyFile, passphrase as string);
    try {
      const checked = loaded.envelope.payload.keys.map((k) => {
        const share = openShare(loaded, k, keys);
        return { id: k.id, address: k.address, leaves: share.entries.map((e) => e.path) };
      });
      const party = loaded.envelope.payload.party;
      return {
        json: { ok: true, party, keys: checked },
        text: [
          `shares of ${party} OK (decrypted and verified against the commitments):`,
          ...checked.map((c) => `  ${c.id.padEnd(16)} ${c.address}  leaves ${c.leaves.join(", ")}`),
        ].join("\n"),
      };
    } finally {
      keys.wipe();
    }
  },
};
