/**
 * Library API of the offline key toolkit (what the CLI is built on).
 *
 * - Ceremony, transcript, share files, cold signing flows (EVM reassembly, FROST rounds through
 *   files), sweep preparation, envelopes and QR transport: exported by name.
 * - The cryptographic core and the chain side: exported as the `crypto` and `chains`
 *   namespaces (their own READMEs document them), so their names never collide with these.
 *
 * @example
 * import { runCeremony, verifyTranscript, crypto, chains } from "./toolkit/src/index.js";
 */
export * from "./errors.js";
export * from "./envelope/index.js";
export * from "./qr/index.js";
export * from "./ceremony/index.js";
export * as crypto from "./crypto/index.js";
export * as chains from "./chains/index.js";
