export { base45Decode, base45Encode } from "./base45.js";
export {
  DEFAULT_QR_CHUNK,
  QR_PART_PREFIX,
  reassembleParts,
  reassembleText,
  splitIntoParts,
} from "./parts.js";
export { qrTerminal, readQrPng, readQrPngs, writeQrPngs } from "./render.js";
