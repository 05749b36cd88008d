export { createParty, writeParty, readPartyPublic, unlockParty, partyEnvelopeDigest } from "./party.js";
export type { CreatedParty, PartyPublicPayload, PartySecretPayload } from "./party.js";
export { runCeremony } from "./run.js";
export type { CeremonyCurve, CeremonyOptions, CeremonyPartyInput, CeremonyResult } from "./run.js";
export {
  signTranscript,
  countersignTranscript,
  checkTranscriptSignatures,
  readTranscript,
  transcriptMessage,
} from "./transcript.js";
export type {
  TranscriptArtefact,
  TranscriptBody,
  TranscriptKey,
  TranscriptParty,
  TranscriptPayload,
  TranscriptSignature,
  TranscriptSigner,
} from "./transcript.js";
export { verifyTranscript } from "./verify.js";
export type { TranscriptReport } from "./verify.js";
export {
  readShareFile,
  openShare,
  keyByAddress,
  keyByLabel,
  assertSameKey,
  commitmentsDigest,
  shareBindingId,
} from "./shares.js";
export type { ColdKeyInfo, KeyLabel, LoadedShareFile, ShareFileKey, ShareFilePayload } from "./shares.js";
export { readRequest, parseRequest, requestEnvelope, signerAddress } from "./requests.js";
export type { RequestPayload } from "./requests.js";
export { coldSignEvm } from "./sign-evm.js";
export type { ColdSignEvmOptions, ShareHolder, SignedEvmPayload } from "./sign-evm.js";
export {
  frostRound1,
  frostRelay,
  frostRound2,
  frostAggregate,
  packageDigest,
  defaultSessionId,
} from "./frost-flow.js";
export type {
  Round1Payload,
  Round2Payload,
  SigningPackagePayload,
  SignedTezosPayload,
  PackageSigner,
} from "./frost-flow.js";
export { prepareSweep } from "./sweep.js";
export type { SweepParams, SweepPlanPayload } from "./sweep.js";
export { linkCeremonies } from "./link.js";
export type { LinkRecord } from "./link.js";
