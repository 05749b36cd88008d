export { canonicalJson } from "./canonical.js";
export {
  ENVELOPE_TYPES,
  ENVELOPE_VERSION,
  createEnvelope,
  envelopeChecksum,
  envelopeDigest,
  openEnvelope,
  parseEnvelope,
  serializeEnvelope,
} from "./envelope.js";
export type { Envelope, EnvelopeType, Payload } from "./envelope.js";
export { readEnvelopeFile, writeEnvelopeFile, writeFileAtomic } from "./files.js";
