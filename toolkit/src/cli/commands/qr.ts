import { mkdirSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { InvalidInputError } from "../../errors.js";
import { parseEnvelope, serializeEnvelope, writeEnvelopeFile } from "../../envelope/index.js";
import { DEFAULT_QR_CHUNK, qrTerminal, readQrPng, reassembleText, writeQrPngs } from "../../qr/index.js";
import type { CommandSpec } from "../framework.js";
import { listOption, requireString, stringOption } from "../framework.js";

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new InvalidInputError(
      "in",
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "EIO"})`,
    );
  }
}

function chunkOption(value: string | undefined): number {
  if (value === undefined) return DEFAULT_QR_CHUNK;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 16 || n > 4000) {
    throw new InvalidInputError("chunk", `must be an integer between 16 and 4000, got ${value}`);
  }
  return n;
}

export const qrEncode: CommandSpec = {
  name: ["qr", "encode"],
  summary: "show an envelope as QR codes (terminal) or write them as PNG files",
  details:
    "The envelope is validated first (a damaged file is refused), then split into numbered parts\n" +
    "CP1:<part>/<total>:<set id>:<base45> that the decoder reassembles in any order.",
  options: {
    in: { type: "string", value: "FILE", required: true, description: "envelope file to encode" },
    png: { type: "string", value: "DIR", description: "write PNG files into DIR instead of printing" },
    name: { type: "string", value: "BASE", description: "PNG file name prefix (default: input file name)" },
    chunk: {
      type: "string",
      value: "N",
      description: `base45 characters per QR code (default ${DEFAULT_QR_CHUNK})`,
    },
  },
  examples: [
    "coldpath qr encode --in round1-alice.json",
    "coldpath qr encode --in request.json --png qr/ --chunk 600",
  ],
  async run(values) {
    const file = requireString(values, "in");
    const envelope = parseEnvelope(readText(file));
    const text = serializeEnvelope(envelope);
    const chunk = chunkOption(stringOption(values, "chunk"));
    const dir = stringOption(values, "png");
    if (dir !== undefined) {
      const base =
        stringOption(values, "name") ??
        basename(file)
          .replace(/\.[^.]*$/, "")
          .replace(/[^A-Za-z0-9._-]/g, "_");
      mkdirSync(dir, { recursive: true });
      const files = await writeQrPngs(text, dir, base, { chunk });
      return {
        json: { type: envelope.type, checksum: envelope.checksum, files },
        text: `${envelope.type} envelope written as ${files.length} QR PNG file(s):\n${files.join("\n")}`,
      };
    }
    const blocks = await qrTerminal(text, { chunk });
    return {
      json: { type: envelope.type, checksum: envelope.checksum, parts: blocks.length, blocks },
      text: blocks.map((b, i) => `QR part ${i + 1} of ${blocks.length} (${envelope.type})\n${b}`).join("\n"),
    };
  },
};

export const qrDecode: CommandSpec = {
  name: ["qr", "decode"],
  summary: "read QR PNG images (or scanned part text) back into a checked envelope file",
  options: {
    out: { type: "string", value: "FILE", required: true, description: "where to write the envelope" },
    parts: {
      type: "string",
      value: "FILE",
      multiple: true,
      description: "text file with scanned parts, one CP1:... line each",
    },
  },
  positionals: "[IMAGE.png ...]",
  examples: ["coldpath qr decode --out request.json qr/request-*.png"],
  async run(values, positionals) {
    const parts = positionals.map(readQrPng);
    for (const file of listOption(values, "parts")) {
      parts.push(
        ...readText(file)
          .split(/\r?\n/)
          .filter((l) => l.trim() !== ""),
      );
    }
    if (parts.length === 0) throw new InvalidInputError("parts", "give PNG files or --parts FILE");
    const envelope = parseEnvelope(reassembleText(parts));
    const out = requireString(values, "out");
    writeEnvelopeFile(out, envelope);
    return {
      json: { type: envelope.type, checksum: envelope.checksum, out },
      text: `${envelope.type} envelope (checksum ${envelope.checksum}) written to ${out}`,
    };
  },
};
