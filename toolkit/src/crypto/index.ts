/**
 * Cryptographic core of the offline key toolkit. Import from here, not from the modules:
 *
 * - entropy: OS randomness, dice mixing, injectable {@link Rng}.
 * - curves: the ed25519 and secp256k1 scalar groups behind one {@link Group} interface.
 * - access: access structures (threshold / AND / OR gates over named parties).
 * - sharing: verifiable secret sharing following a structure, combine with public-key check.
 * - ed25519-keys: RFC 8032 seed expansion, Tezos encodings, the strict verification rule.
 * - frost: FROST(Ed25519, SHA-512) per RFC 9591, generalised to access structures.
 * - nonce-store: durable single-use round-1 nonces.
 * - party-keys / share-encryption: party key pairs, passphrase-protected key files, shares
 *   encrypted to parties with bound associated data.
 *
 * See README.md in this folder for formats and security notes.
 */
export type { Rng } from "./entropy.js";
export {
  randomBytes,
  osRng,
  mixEntropy,
  mixedRng,
  parseDiceRolls,
  diceEntropyBits,
  deterministicRng,
  replayRng,
} from "./entropy.js";

export type { Group, GroupName, Ed25519Point, Secp256k1Point } from "./curves.js";
export { ed25519Group, secp256k1Group, groupByName } from "./curves.js";

export type { AccessStructure, AccessStructureJson, AccessNode, GateNode, PartyNode } from "./access.js";
export {
  ACCESS_LIMITS,
  parseAccessStructure,
  toJson as accessStructureToJson,
  canonicalString as canonicalAccessStructure,
  structureHash,
  parties,
  partyIdentifiers,
  leaves,
  gates,
  isFlat,
  isQualified,
  isValidPartyName,
  minimalQualifiedSubset,
  explainUnqualified,
  describe,
  nodeAt,
} from "./access.js";

export type {
  ShareEntry,
  PartyShare,
  ShareCommitments,
  SplitResult,
  VerifiedCommitments,
  ReconstructionPlan,
} from "./sharing.js";
export {
  splitSecret,
  splitWithPolynomials,
  verifyCommitments,
  verifyShare,
  leafCoefficients,
  reconstructionPlan,
  reconstructionCoefficients,
  contributingParties,
  foldShare,
  foldPublicShare,
  combineShares,
  encodePartyShare,
  decodePartyShare,
} from "./sharing.js";

export {
  ed25519ScalarFromSeed,
  ed25519PublicKeyFromScalar,
  generateEd25519Scalar,
  tezosPublicKey,
  tezosAddress,
  tezosSignature,
  verifyEd25519,
  signEd25519,
} from "./ed25519-keys.js";

export type { FrostPublicPackage, FrostCommitment, FrostSignatureShare, NonceBinding } from "./frost.js";
export {
  FROST_CONTEXT,
  SigningNonces,
  messageDigest,
  commit,
  signShare,
  prepareSignShare,
  verifySignatureShare,
  aggregate,
  verify,
  groupPublicKey,
  clearPointCache,
} from "./frost.js";

export type { PartyPublicKeys, PartyKeyFile, ScryptParams } from "./party-keys.js";
export {
  PartyKeys,
  DEFAULT_SCRYPT,
  partyKeyId,
  checkPartyPublicKeys,
  generatePartyKeys,
  verifyTranscriptSignature,
  encryptPartyKeys,
  decryptPartyKeys,
  writePartyKeyFile,
  readPartyKeyFile,
  writeFileAtomic,
} from "./party-keys.js";

export type { EncryptedShare, ShareBinding } from "./share-encryption.js";
export { SHARE_SCHEME, encryptShare, decryptShare } from "./share-encryption.js";

export type {
  StoredCommitment,
  RollbackEvidence,
  StoredSignatureShare,
  NonceStoreFaults,
} from "./nonce-store.js";
export { NonceStore, nonceIdOf } from "./nonce-store.js";
