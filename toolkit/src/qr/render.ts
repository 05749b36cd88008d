import { readFileSync } from "node:fs";
import { join } from "node:path";
import jsQR from "jsqr";
import pngjs from "pngjs";
import QRCode from "qrcode";
import { InvalidInputError } from "../errors.js";
import { writeFileAtomic } from "../envelope/files.js";
import { DEFAULT_QR_CHUNK, reassembleText, splitIntoParts } from "./parts.js";

// Medium error correction survives a smudged print or a slightly blurred photo while keeping
// the symbols small enough for a 1000-character part.
const ERROR_CORRECTION = "M";

/**
 * Renders text as QR codes for a terminal, one block per part.
 *
 * @param style - "utf8" (half blocks, compact) or "terminal" (ANSI colours)
 * @returns one printable block per part, in order
 */
export async function qrTerminal(
  data: string,
  options: { chunk?: number; style?: "utf8" | "terminal" } = {},
): Promise<string[]> {
  const parts = splitIntoParts(data, options.chunk ?? DEFAULT_QR_CHUNK);
  const blocks: string[] = [];
  for (const part of parts) {
    blocks.push(
      await QRCode.toString(part, {
        type: options.style ?? "utf8",
        errorCorrectionLevel: ERROR_CORRECTION,
        small: options.style === "terminal",
      }),
    );
  }
  return blocks;
}

/**
 * Writes text as one PNG file per QR part: `<dir>/<base>-<i>-of-<n>.png`.
 *
 * @returns the written file paths, in part order
 * @example
 * await writeQrPngs(serializeEnvelope(env), "out", "round1-alice");
 */
export async function writeQrPngs(
  data: string,
  dir: string,
  base: string,
  options: { chunk?: number; scale?: number } = {},
): Promise<string[]> {
  if (!/^[A-Za-z0-9._-]+$/.test(base))
    throw new InvalidInputError("base", `unsafe file name ${JSON.stringify(base)}`);
  const parts = splitIntoParts(data, options.chunk ?? DEFAULT_QR_CHUNK);
  const files: string[] = [];
  for (const [i, part] of parts.entries()) {
    const png = await QRCode.toBuffer(part, {
      type: "png",
      errorCorrectionLevel: ERROR_CORRECTION,
      scale: options.scale ?? 4,
      margin: 4,
    });
    const file = join(dir, `${base}-${i + 1}-of-${parts.length}.png`);
    writeFileAtomic(file, png, 0o644);
    files.push(file);
  }
  return files;
}

/**
 * Reads the QR code in a PNG image file and returns its text.
 *
 * @throws {InvalidInputError} when the file is unreadable, not a PNG, or holds no readable QR code
 */
export function readQrPng(file: string): string {
  let image: { width: number; height: number; data: Buffer };
  try {
    image = pngjs.PNG.sync.read(readFileSync(file));
  } catch (error) {
    throw new InvalidInputError("file", `${file} is not a readable PNG image (${(error as Error).message})`);
  }
  const pixels = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  const code = jsQR.default(pixels, image.width, image.height, { inversionAttempts: "attemptBoth" });
  if (code === null) throw new InvalidInputError("file", `no QR code found in ${file}`);
  return code.data;
}

/**
 * Reads QR parts from PNG files (any order) and reassembles the original text.
 *
 * @throws {InvalidInputError} on unreadable images, foreign or missing parts
 * @throws {IntegrityError} when the reassembled data fails its check
 */
export function readQrPngs(files: readonly string[]): string {
  return reassembleText(files.map(readQrPng));
}
