/**
 * FROST(Ed25519, SHA-512) per RFC 9591, generalised to access structures.
 *
 * Round 1 ({@link commit}): each signer draws a hiding and a binding nonce and publishes their
 * commitments. Round 2 ({@link signShare}): given the message and every signer's commitments,
 * each signer computes `z_i = d_i + e_i·ρ_i + λ_i·s_i·c`. A coordinator checks shares
 * ({@link verifySignatureShare}) and sums them ({@link aggregate}) into an RFC 8032 signature.
 *
 * Generalisation: `λ_i` is the party's reconstruction coefficient for the signing set and `s_i`
 * its folded share value (see `ReconstructionPlan` in sharing.ts). For a flat t-of-n structure
 * both are exactly RFC 9591's Lagrange coefficient and share, so flat signing reproduces the
 * RFC 9591 Appendix E.1 vectors bit for bit. Party identifiers are 1-based positions in
 * `parties(structure)` (flat: the index 1..n).
 *
 * Hashing (contextString "FROST-ED25519-SHA512-v1"): H1 = SHA-512(ctx‖"rho"‖m) mod L,
 * H2 = SHA-512(m) mod L (the Ed25519 challenge), H3 = SHA-512(ctx‖"nonce"‖m) mod L,
 * H4 = SHA-512(ctx‖"msg"‖m), H5 = SHA-512(ctx‖"com"‖m).
 */
import { mulAddUnsafe } from "@noble/curves/abstract/curve.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { bytesToNumberLE } from "@noble/curves/utils.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { IntegrityError, InvalidInputError, RefusedError } from "../errors.js";
import type { AccessStructure } from "./access.js";
import { partyIdentifiers } from "./access.js";
import type { Ed25519Point } from "./curves.js";
import { ed25519Group as G } from "./curves.js";
import type { Rng } from "./entropy.js";
import { osRng } from "./entropy.js";
import { verifyEd25519 } from "./ed25519-keys.js";
import type { PartyShare, ReconstructionPlan, ShareCommitments, VerifiedCommitments } from "./sharing.js";
import { foldPublicShare, foldShare, reconstructionPlan, verifyCommitments } from "./sharing.js";

/** RFC 9591 contextString of the FROST(Ed25519, SHA-512) ciphersuite. */
export const FROST_CONTEXT = "FROST-ED25519-SHA512-v1";

const CTX = utf8ToBytes(FROST_CONTEXT);
const TAG = {
  rho: concatBytes(CTX, utf8ToBytes("rho")),
  nonce: concatBytes(CTX, utf8ToBytes("nonce")),
  msg: concatBytes(CTX, utf8ToBytes("msg")),
  com: concatBytes(CTX, utf8ToBytes("com")),
  bind: concatBytes(CTX, utf8ToBytes("coldpath-hedge-v1")),
};
const modL = (b: Uint8Array): bigint => G.mod(bytesToNumberLE(b));
const H1 = (m: Uint8Array): bigint => modL(sha512(concatBytes(TAG.rho, m)));
const H2 = (m: Uint8Array): bigint => modL(sha512(m));
const H3 = (m: Uint8Array): bigint => modL(sha512(concatBytes(TAG.nonce, m)));
const H4 = (m: Uint8Array): Uint8Array => sha512(concatBytes(TAG.msg, m));
const H5 = (m: Uint8Array): Uint8Array => sha512(concatBytes(TAG.com, m));

/** The public key package every participant and the coordinator hold. */
export interface FrostPublicPackage {
  readonly structure: AccessStructure;
  readonly commitments: ShareCommitments;
}

/** A signer's round-1 output: public, sent to the coordinator. Points are hex. */
export interface FrostCommitment {
  readonly party: string;
  readonly identifier: number;
  readonly hiding: string;
  readonly binding: string;
}

/** A signer's round-2 output: public. `share` is the 32-byte little-endian scalar `z_i`, hex. */
export interface FrostSignatureShare {
  readonly party: string;
  readonly identifier: number;
  readonly share: string;
}

/** What a nonce pair is bound to at round 1 (hedged derivation and round-2 refusal). */
export interface NonceBinding {
  /** SHA-256 of the message to be signed, hex. */
  readonly messageDigest: string;
  /** Signing-session identifier chosen by the coordinator. */
  readonly sessionId: string;
}

/**
 * A signer's secret round-1 nonces. Usable once: {@link signShare} consumes them and a second
 * use throws `RefusedError("NONCE_REUSED")`. Secret values live in private fields.
 */
export class SigningNonces {
  readonly party: string;
  readonly identifier: number;
  readonly commitment: FrostCommitment;
  readonly binding: NonceBinding | undefined;
  /** The public points of {@link commitment}, by hex encoding. */
  readonly commitmentPoints: ReadonlyMap<string, Ed25519Point>;
  #hiding: bigint;
  #binding: bigint;
  #used = false;

  constructor(party: string, identifier: number, hiding: bigint, binding: bigint, bindingCtx?: NonceBinding) {
    if (hiding <= 0n || hiding >= G.order || binding <= 0n || binding >= G.order)
      throw new InvalidInputError("nonces", "nonce scalars must be in 1..L-1");
    this.party = party;
    this.identifier = identifier;
    this.#hiding = hiding;
    this.#binding = binding;
    this.binding = bindingCtx ? Object.freeze({ ...bindingCtx }) : undefined;
    const D = G.baseMul(hiding);
    const E = G.baseMul(binding);
    this.commitment = Object.freeze({
      party,
      identifier,
      hiding: bytesToHex(G.encodePoint(D)),
      binding: bytesToHex(G.encodePoint(E)),
    });
    // Our own commitment points are computed, not received: they need no subgroup check.
    this.commitmentPoints = new Map([
      [this.commitment.hiding, D],
      [this.commitment.binding, E],
    ]);
    Object.freeze(this);
  }

  /** True once the nonces have been used for a signature share (or discarded). */
  get used(): boolean {
    return this.#used;
  }

  /** Consumes the nonces: returns them once, then forgets them. */
  take(): { hiding: bigint; binding: bigint } {
    if (this.#used) throw new RefusedError("NONCE_REUSED", `nonces of ${this.party} were already used`);
    this.#used = true;
    const out = { hiding: this.#hiding, binding: this.#binding };
    this.#hiding = 0n;
    this.#binding = 0n;
    return out;
  }

  /** Forgets the nonces without signing (abandoned session). */
  discard(): void {
    this.#used = true;
    this.#hiding = 0n;
    this.#binding = 0n;
  }

  /** Secret scalars for the durable nonce store only (hex, little-endian). */
  exportSecret(): { hiding: string; binding: string } {
    if (this.#used) throw new RefusedError("NONCE_REUSED", `nonces of ${this.party} were already used`);
    return {
      hiding: bytesToHex(G.encodeScalar(this.#hiding)),
      binding: bytesToHex(G.encodeScalar(this.#binding)),
    };
  }

  /**
   * Rebuilds nonces from {@link exportSecret} output.
   * @throws {InvalidInputError} on malformed scalars.
   */
  static restore(
    party: string,
    identifier: number,
    secret: { hiding: string; binding: string },
    binding?: NonceBinding,
  ): SigningNonces {
    return new SigningNonces(
      party,
      identifier,
      G.decodeScalar(hexToBytes(secret.hiding), "nonces.hiding"),
      G.decodeScalar(hexToBytes(secret.binding), "nonces.binding"),
      binding,
    );
  }
}

/** SHA-256 of a message, hex: the digest nonces are bound to. */
export function messageDigest(message: Uint8Array): string {
  return bytesToHex(sha256(message));
}

function shareSecretBytes(share: PartyShare): Uint8Array {
  return concatBytes(...share.entries.map((e) => G.encodeScalar(e.value)));
}

/**
 * RFC 9591 `nonce_generate`: `H3(random_bytes(32) ‖ SerializeScalar(secret))`. With a binding,
 * the 32 random bytes are first hedged with the message digest and session id
 * (`SHA-512(ctx‖"coldpath-hedge-v1"‖random‖digest‖sessionId)[0..32]`), so a repeated RNG output
 * for a different message still yields different nonces. A party holding several leaves hashes
 * all its leaf values (a single leaf gives exactly the RFC input).
 */
function nonceGenerate(secret: Uint8Array, rng: Rng, binding?: NonceBinding): bigint {
  let random = rng(32);
  if (!(random instanceof Uint8Array) || random.length !== 32)
    throw new InvalidInputError("rng", "expected 32 random bytes");
  if (binding)
    random = sha512(
      concatBytes(TAG.bind, random, hexToBytes(binding.messageDigest), utf8ToBytes(binding.sessionId)),
    ).subarray(0, 32);
  return H3(concatBytes(random, secret));
}

function checkBinding(binding: NonceBinding | undefined): void {
  if (!binding) return;
  if (typeof binding.messageDigest !== "string" || !/^[0-9a-f]{64}$/.test(binding.messageDigest))
    throw new InvalidInputError("binding.messageDigest", "expected 32-byte hex SHA-256 digest");
  if (typeof binding.sessionId !== "string" || binding.sessionId.length < 1 || binding.sessionId.length > 128)
    throw new InvalidInputError("binding.sessionId", "expected 1..128 characters");
}

/**
 * Round 1: draws hiding and binding nonces for `share` and returns them with their public
 * commitments.
 * @param binding - message digest and session id the nonces are bound to (recommended; round 2
 *   then refuses any other message). Omit only for RFC test vectors.
 * @throws {InvalidInputError} if the party is unknown to the structure or the binding is malformed.
 * @example
 * const { nonces, commitment } = commit(pkg, share, osRng, { messageDigest: messageDigest(msg), sessionId });
 */
export function commit(
  pkg: FrostPublicPackage,
  share: PartyShare,
  rng: Rng = osRng,
  binding?: NonceBinding,
): { nonces: SigningNonces; commitment: FrostCommitment } {
  checkBinding(binding);
  if (share.group !== "ed25519") throw new InvalidInputError("share", "FROST signs with ed25519 shares only");
  const id = partyIdentifiers(pkg.structure).get(share.party);
  if (id === undefined) throw new InvalidInputError("share", `"${share.party}" is not a party of this key`);
  const secret = shareSecretBytes(share);
  const hiding = nonceGenerate(secret, rng, binding);
  const bindingNonce = nonceGenerate(secret, rng, binding);
  secret.fill(0);
  const nonces = new SigningNonces(share.party, id, hiding, bindingNonce, binding);
  return { nonces, commitment: nonces.commitment };
}

// Validated-point memo: commitments and verifying shares are public, and the RFC's
// DeserializeElement checks (canonical, not identity, prime-order subgroup) cost a full scalar
// multiplication each. Caching validated encodings avoids repeating them across rounds.
const pointMemo = new Map<string, Ed25519Point>();
const POINT_MEMO_MAX = 4096;

function decodePoint(hex: string, field: string): Ed25519Point {
  if (typeof hex !== "string" || hex.length !== 64)
    throw new InvalidInputError(field, "expected 32-byte hex point");
  const key = hex.toLowerCase();
  const hit = pointMemo.get(key);
  if (hit) return hit;
  let bytes: Uint8Array;
  try {
    bytes = hexToBytes(key);
  } catch {
    throw new InvalidInputError(field, "not hex");
  }
  const p = G.decodePoint(bytes, field);
  if (pointMemo.size >= POINT_MEMO_MAX) pointMemo.clear();
  pointMemo.set(key, p);
  return p;
}

/**
 * Forgets every validated point. A process that plays one role per signing session behaves as
 * if this were called between roles; benchmarks use it to measure that case.
 */
export function clearPointCache(): void {
  pointMemo.clear();
}

function encodeId(id: number): Uint8Array {
  return G.encodeScalar(BigInt(id));
}

/** Everything round 2 and aggregation derive from (key, commitment list, message). */
interface SigningContext {
  readonly list: readonly FrostCommitment[];
  readonly verified: VerifiedCommitments<Ed25519Point>;
  readonly plan: ReconstructionPlan;
  readonly rho: ReadonlyMap<string, bigint>;
  readonly R: Ed25519Point;
  readonly Rbytes: Uint8Array;
  readonly challenge: bigint;
  readonly D: ReadonlyMap<string, Ed25519Point>;
  readonly E: ReadonlyMap<string, Ed25519Point>;
}

/**
 * Validates a commitment list (known parties with their identifiers, no duplicates, sorted by
 * identifier as RFC 9591 requires, qualified, every member contributing) and computes binding
 * factors, the group commitment and the challenge.
 */
function signingContext(
  pkg: FrostPublicPackage,
  commitmentList: readonly FrostCommitment[],
  message: Uint8Array,
  ownPoints?: ReadonlyMap<string, Ed25519Point>,
): SigningContext {
  if (!(message instanceof Uint8Array)) throw new InvalidInputError("message", "expected bytes");
  if (!Array.isArray(commitmentList) || commitmentList.length === 0)
    throw new InvalidInputError("commitmentList", "expected a non-empty list");
  const verified = verifyCommitments(G, pkg.structure, pkg.commitments);
  const ids = partyIdentifiers(pkg.structure);
  const list = [...commitmentList].sort((a, b) => a.identifier - b.identifier);
  const seen = new Set<string>();
  for (const c of list) {
    if (ids.get(c.party) !== c.identifier || c.identifier === undefined)
      throw new InvalidInputError(
        "commitmentList",
        `party "${c.party}" does not have identifier ${c.identifier}`,
      );
    if (seen.has(c.party)) throw new InvalidInputError("commitmentList", `party "${c.party}" appears twice`);
    seen.add(c.party);
  }
  const plan = reconstructionPlan(G, pkg.structure, seen);
  if (plan.idle.length > 0)
    throw new InvalidInputError(
      "commitmentList",
      `parties ${plan.idle.join(", ")} contribute nothing to this signing set; leave them out`,
    );
  const D = new Map<string, Ed25519Point>();
  const E = new Map<string, Ed25519Point>();
  const encoded: Uint8Array[] = [];
  for (const c of list) {
    D.set(c.party, ownPoints?.get(c.hiding) ?? decodePoint(c.hiding, `commitment of ${c.party}.hiding`));
    E.set(c.party, ownPoints?.get(c.binding) ?? decodePoint(c.binding, `commitment of ${c.party}.binding`));
    encoded.push(encodeId(c.identifier), hexToBytes(c.hiding), hexToBytes(c.binding));
  }
  const prefix = concatBytes(verified.publicKeyBytes, H4(message), H5(concatBytes(...encoded)));
  const rho = new Map<string, bigint>();
  for (const c of list) rho.set(c.party, H1(concatBytes(prefix, encodeId(c.identifier))));
  // R = Σ D_i + Σ ρ_i·E_i: one multi-scalar multiplication for the binding terms.
  let R = mulAddUnsafe(
    ed25519.Point,
    list.map((c) => E.get(c.party) as Ed25519Point),
    list.map((c) => rho.get(c.party) as bigint),
  );
  for (const c of list) R = R.add(D.get(c.party) as Ed25519Point);
  const Rbytes = R.toBytes();
  const challenge = H2(concatBytes(Rbytes, verified.publicKeyBytes, message));
  return { list, verified, plan, rho, R, Rbytes, challenge, D, E };
}

/**
 * Round 2, in two steps: every check (nonces unused, own commitment present, binding, list
 * valid and qualified, points valid) happens here without touching the nonces; the returned
 * function consumes them and computes the share. The nonce store records consumption durably
 * between the two, so a malformed request never burns a nonce and no share exists before the
 * record does.
 * @throws {RefusedError} codes NONCE_REUSED, COMMITMENT_MISMATCH, MESSAGE_MISMATCH, SESSION_MISMATCH.
 * @throws {InvalidInputError} for a malformed or unqualified commitment list.
 */
export function prepareSignShare(
  pkg: FrostPublicPackage,
  share: PartyShare,
  nonces: SigningNonces,
  commitmentList: readonly FrostCommitment[],
  message: Uint8Array,
  sessionId?: string,
): () => FrostSignatureShare {
  if (nonces.used) throw new RefusedError("NONCE_REUSED", `nonces of ${nonces.party} were already used`);
  if (nonces.party !== share.party)
    throw new InvalidInputError("nonces", `nonces belong to "${nonces.party}", share to "${share.party}"`);
  const own = commitmentList.find((c) => c.party === share.party);
  if (!own || own.hiding !== nonces.commitment.hiding || own.binding !== nonces.commitment.binding)
    throw new RefusedError(
      "COMMITMENT_MISMATCH",
      `the commitment list does not carry ${share.party}'s round-1 commitment`,
    );
  if (nonces.binding) {
    if (nonces.binding.messageDigest !== messageDigest(message))
      throw new RefusedError("MESSAGE_MISMATCH", `${share.party} committed to a different message`);
    if (sessionId !== undefined && sessionId !== nonces.binding.sessionId)
      throw new RefusedError(
        "SESSION_MISMATCH",
        `${share.party} committed in session ${nonces.binding.sessionId}`,
      );
  }
  const ctx = signingContext(pkg, commitmentList, message, nonces.commitmentPoints);
  const lambda = ctx.plan.coefficients.get(share.party) as bigint;
  const rho = ctx.rho.get(share.party) as bigint;
  // Fails here (before consumption) if the share lacks a leaf the plan needs.
  foldShare(G, ctx.plan, share);
  return () => {
    const { hiding, binding } = nonces.take();
    const value = foldShare(G, ctx.plan, share);
    const z = G.add(G.add(hiding, G.mul(binding, rho)), G.mul(G.mul(lambda, value), ctx.challenge));
    return Object.freeze({
      party: share.party,
      identifier: nonces.identifier,
      share: bytesToHex(G.encodeScalar(z)),
    });
  };
}

/**
 * Round 2: the signature share of `share`'s party over `message`.
 *
 * Refuses (RefusedError) if the nonces were already used, if the signer's own commitment in the
 * list differs from its round-1 commitment, or if the nonces are bound to another message or
 * session. Nothing is consumed when a check fails; on success the nonces are consumed.
 * @throws {RefusedError} codes NONCE_REUSED, COMMITMENT_MISMATCH, MESSAGE_MISMATCH, SESSION_MISMATCH.
 * @throws {InvalidInputError} for a malformed or unqualified commitment list.
 */
export function signShare(
  pkg: FrostPublicPackage,
  share: PartyShare,
  nonces: SigningNonces,
  commitmentList: readonly FrostCommitment[],
  message: Uint8Array,
  sessionId?: string,
): FrostSignatureShare {
  return prepareSignShare(pkg, share, nonces, commitmentList, message, sessionId)();
}

function decodeZ(s: FrostSignatureShare): bigint {
  try {
    return G.decodeScalar(hexToBytes(s.share), `signature share of ${s.party}`);
  } catch {
    throw new IntegrityError(`signature share of ${s.party}`, "not a canonical scalar");
  }
}

function shareIsValid(ctx: SigningContext, s: FrostSignatureShare): boolean {
  const c = ctx.list.find((x) => x.party === s.party);
  if (!c || c.identifier !== s.identifier) return false;
  let z: bigint;
  try {
    z = decodeZ(s);
  } catch {
    return false;
  }
  const lambda = ctx.plan.coefficients.get(s.party) as bigint;
  const Y = foldPublicShare(G, ctx.plan, ctx.verified, s.party);
  // z·B == D + ρ·E + (c·λ)·Y
  const rhs = mulAddUnsafe(
    ed25519.Point,
    [ctx.E.get(s.party) as Ed25519Point, Y],
    [ctx.rho.get(s.party) as bigint, G.mul(ctx.challenge, lambda)],
  ).add(ctx.D.get(s.party) as Ed25519Point);
  return G.baseMul(z).equals(rhs);
}

/**
 * Checks one signature share against the signer's public (folded) verifying share.
 * @throws {IntegrityError} naming the party if the share is invalid.
 */
export function verifySignatureShare(
  pkg: FrostPublicPackage,
  commitmentList: readonly FrostCommitment[],
  message: Uint8Array,
  sigShare: FrostSignatureShare,
): void {
  const ctx = signingContext(pkg, commitmentList, message);
  if (!shareIsValid(ctx, sigShare))
    throw new IntegrityError(
      `signature share of ${sigShare.party}`,
      "does not verify against its commitments",
    );
}

/**
 * Sums the signature shares into a 64-byte Ed25519 signature `R ‖ z` and checks it with one
 * combined equation `z·B == R + c·PK`; only if that fails are shares checked one by one, and
 * the error names every bad share.
 * @throws {IntegrityError} naming bad shares, or if a share is missing or unexpected.
 */
export function aggregate(
  pkg: FrostPublicPackage,
  commitmentList: readonly FrostCommitment[],
  message: Uint8Array,
  sigShares: readonly FrostSignatureShare[],
): Uint8Array {
  const ctx = signingContext(pkg, commitmentList, message);
  const byParty = new Map<string, FrostSignatureShare>();
  for (const s of sigShares) {
    if (byParty.has(s.party)) throw new IntegrityError("signature shares", `two shares from ${s.party}`);
    byParty.set(s.party, s);
  }
  const missing = ctx.list.filter((c) => !byParty.has(c.party)).map((c) => c.party);
  if (missing.length) throw new IntegrityError("signature shares", `missing from ${missing.join(", ")}`);
  const extra = [...byParty.keys()].filter((p) => !ctx.list.some((c) => c.party === p));
  if (extra.length) throw new IntegrityError("signature shares", `unexpected from ${extra.join(", ")}`);
  let z = 0n;
  let malformed = false;
  for (const c of ctx.list) {
    try {
      z = G.add(z, decodeZ(byParty.get(c.party) as FrostSignatureShare));
    } catch {
      malformed = true;
    }
  }
  const ok =
    !malformed && G.baseMul(z).equals(ctx.R.add(ctx.verified.publicKey.multiplyUnsafe(ctx.challenge)));
  if (!ok) {
    const bad = ctx.list.filter((c) => !shareIsValid(ctx, byParty.get(c.party) as FrostSignatureShare));
    throw new IntegrityError(
      "signature shares",
      bad.length
        ? `invalid share(s) from ${bad.map((c) => c.party).join(", ")}`
        : "aggregate does not verify",
    );
  }
  return concatBytes(ctx.Rbytes, G.encodeScalar(z));
}

/**
 * Verifies an Ed25519 signature with the toolkit's rule: strict RFC 8032 (canonical encodings,
 * `s < L`, cofactorless), which matches all 151 Wycheproof Ed25519 expectations.
 */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  return verifyEd25519(signature, message, publicKey);
}

/** The 32-byte group public key of a package. */
export function groupPublicKey(pkg: FrostPublicPackage): Uint8Array {
  return verifyCommitments(G, pkg.structure, pkg.commitments).publicKeyBytes;
}

/**
 * Internal values for test vectors: binding factors (by party), group commitment and challenge.
 * @internal
 */
export function debugSigningValues(
  pkg: FrostPublicPackage,
  commitmentList: readonly FrostCommitment[],
  message: Uint8Array,
): { bindingFactors: Map<string, string>; groupCommitment: string; challenge: bigint } {
  const ctx = signingContext(pkg, commitmentList, message);
  return {
    bindingFactors: new Map([...ctx.rho].map(([p, r]) => [p, bytesToHex(G.encodeScalar(r))])),
    groupCommitment: bytesToHex(ctx.Rbytes),
    challenge: ctx.challenge,
  };
}
