/**
 * Verifiable linear secret sharing over a group's scalar field, following an access structure
 * (recursive Shamir, a.k.a. Benaloh-Leichter with threshold gates).
 *
 * Dealing: the root gate shares the secret with a random polynomial of degree k-1 evaluated at
 * its child indices 1..n; a child gate re-shares the value it received the same way; a party
 * leaf keeps its value. A party appearing in several leaves receives several leaf values.
 *
 * Commitments (Feldman): for every gate polynomial `f(x) = a_0 + a_1 x + ...` the public tree
 * holds `C_j = a_j·G`. Anyone can check the tree: the root's `C_0` is the public key, each child
 * gate's `C_0` equals its parent's commitments evaluated at the child index, and each leaf value
 * `s` satisfies `s·G = Σ C_j i^j` of its parent gate.
 *
 * A flat t-of-n structure is exactly RFC 9591 Appendix C trusted-dealer Shamir with party
 * identifiers 1..n, so its shares work with any RFC 9591 implementation.
 */
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { IntegrityError, InvalidInputError } from "../errors.js";
import type { AccessStructure, GateNode } from "./access.js";
import {
  childIndex,
  explainUnqualified,
  gates,
  isQualified,
  leaves,
  parties,
  structureHash,
} from "./access.js";
import type { Group, GroupName } from "./curves.js";
import type { Rng } from "./entropy.js";
import { osRng } from "./entropy.js";

/** One leaf value held by a party. Secret. */
export interface ShareEntry {
  /** Leaf path, e.g. `"root.1.2"`. */
  readonly path: string;
  readonly value: bigint;
}

/** Everything one party holds for one key: one entry per leaf carrying its name. Secret. */
export interface PartyShare {
  readonly party: string;
  readonly group: GroupName;
  readonly entries: readonly ShareEntry[];
}

/** The public commitment tree (JSON-friendly: hex points). */
export interface ShareCommitments {
  readonly version: 1;
  readonly group: GroupName;
  readonly structureHash: string;
  /** Encoded public key point, hex; equals `gates.root[0]`. */
  readonly publicKey: string;
  /** Gate path -> commitments to that gate's polynomial coefficients (`C_0..C_{k-1}`), hex. */
  readonly gates: Readonly<Record<string, readonly string[]>>;
}

/** Result of dealing a secret. */
export interface SplitResult {
  readonly publicKey: Uint8Array;
  readonly commitments: ShareCommitments;
  readonly shares: Map<string, PartyShare>;
}

/** Commitments decoded and checked against a structure; cached per commitments object. */
export interface VerifiedCommitments<P> {
  readonly publicKey: P;
  readonly publicKeyBytes: Uint8Array;
  /** Leaf path -> public value `s·G` of that leaf. */
  readonly leafPublic: ReadonlyMap<string, P>;
}

function evalPoly<P>(group: Group<P>, coeffs: readonly bigint[], x: bigint): bigint {
  let acc = 0n;
  for (let j = coeffs.length - 1; j >= 0; j--) acc = group.add(group.mul(acc, x), coeffs[j] as bigint);
  return acc;
}

function evalCommitments<P>(group: Group<P>, coeffs: readonly P[], x: bigint): P {
  let acc = coeffs[0] as P;
  let pow = 1n;
  for (let j = 1; j < coeffs.length; j++) {
    pow = group.mul(pow, x);
    acc = group.pointAdd(acc, group.pointMul(coeffs[j] as P, pow));
  }
  return acc;
}

/**
 * Deals `secret` with the given gate polynomials (gate path -> coefficients, `[0]` ignored and
 * replaced by the value the gate receives). Exposed for published test vectors; use
 * {@link splitSecret} otherwise.
 * @throws {InvalidInputError} if a gate's polynomial is missing or has the wrong degree.
 */
export function splitWithPolynomials<P>(
  group: Group<P>,
  secret: bigint,
  structure: AccessStructure,
  polynomials: ReadonlyMap<string, readonly bigint[]>,
): SplitResult {
  const s = group.mod(secret);
  if (s === 0n) throw new InvalidInputError("secret", "the secret scalar must not be zero");
  const gateCommitments: Record<string, string[]> = {};
  const shares = new Map<string, ShareEntry[]>();
  const deal = (gate: GateNode, value: bigint): void => {
    const poly = polynomials.get(gate.path);
    if (!poly || poly.length !== gate.threshold)
      throw new InvalidInputError("polynomials", `gate ${gate.path} needs ${gate.threshold} coefficients`);
    const coeffs = [value, ...poly.slice(1).map((c) => group.mod(c))];
    gateCommitments[gate.path] = coeffs.map((c) => bytesToHex(group.encodePoint(group.baseMul(c))));
    gate.children.forEach((child, i) => {
      const v = evalPoly(group, coeffs, BigInt(i + 1));
      if (child.kind === "gate") deal(child, v);
      else {
        const list = shares.get(child.name) ?? [];
        list.push({ path: child.path, value: v });
        shares.set(child.name, list);
      }
    });
  };
  deal(structure, s);
  const publicKey = group.encodePoint(group.baseMul(s));
  const commitments: ShareCommitments = Object.freeze({
    version: 1,
    group: group.name,
    structureHash: structureHash(structure),
    publicKey: bytesToHex(publicKey),
    gates: Object.freeze(gateCommitments),
  });
  const out = new Map<string, PartyShare>();
  for (const p of parties(structure))
    out.set(p, Object.freeze({ party: p, group: group.name, entries: Object.freeze(shares.get(p) ?? []) }));
  return { publicKey, commitments, shares: out };
}

/**
 * Splits `secretScalar` following `structure`, with fresh random polynomials from `rng`.
 * @returns the public key, the public commitment tree and each party's share.
 * @throws {InvalidInputError} if the secret is zero.
 * @example
 * const { commitments, shares } = splitSecret(ed25519Group, s, parseAccessStructure({ threshold: 2, of: ["a", "b", "c"] }));
 */
export function splitSecret<P>(
  group: Group<P>,
  secretScalar: bigint,
  structure: AccessStructure,
  rng: Rng = osRng,
): SplitResult {
  const polys = new Map<string, bigint[]>();
  for (const g of gates(structure))
    polys.set(g.path, [0n, ...Array.from({ length: g.threshold - 1 }, () => group.randomScalar(rng))]);
  return splitWithPolynomials(group, secretScalar, structure, polys);
}

// Verified results per commitments object (identity), so signers and aggregators decode and check
// the tree once per key instead of once per call. Keyed also by structure hash and group.
const verifiedCache = new WeakMap<
  ShareCommitments,
  { structureHash: string; group: string; v: VerifiedCommitments<unknown> }
>();

/**
 * Decodes the commitment tree and checks it is consistent with `structure`: right group and
 * structure hash, k commitments per gate, child gate constants equal to the parent's evaluation,
 * root constant equal to the recorded public key.
 * @throws {IntegrityError} naming the inconsistent gate.
 */
export function verifyCommitments<P>(
  group: Group<P>,
  structure: AccessStructure,
  commitments: ShareCommitments,
): VerifiedCommitments<P> {
  const hash = structureHash(structure);
  const cached = verifiedCache.get(commitments);
  if (cached && cached.structureHash === hash && cached.group === group.name)
    return cached.v as VerifiedCommitments<P>;
  if (commitments.version !== 1)
    throw new IntegrityError("commitments", `unsupported version ${commitments.version}`);
  if (commitments.group !== group.name)
    throw new IntegrityError("commitments", `made for group ${commitments.group}, not ${group.name}`);
  if (commitments.structureHash !== hash)
    throw new IntegrityError("commitments", "structure hash does not match the access structure");
  const decoded = new Map<string, P[]>();
  const gateList = gates(structure);
  const known = new Set(gateList.map((g) => g.path));
  for (const path of Object.keys(commitments.gates))
    if (!known.has(path)) throw new IntegrityError(`commitments ${path}`, "no such gate in the structure");
  for (const g of gateList) {
    const hex = commitments.gates[g.path];
    if (!Array.isArray(hex) || hex.length !== g.threshold)
      throw new IntegrityError(`commitments ${g.path}`, `expected ${g.threshold} commitments`);
    try {
      decoded.set(
        g.path,
        hex.map((h: string) => group.decodePoint(hexToBytes(h), `commitments ${g.path}`)),
      );
    } catch (e) {
      throw new IntegrityError(`commitments ${g.path}`, `bad point: ${(e as Error).message}`);
    }
  }
  const root = (decoded.get("root") as P[])[0] as P;
  let pkBytes: Uint8Array;
  try {
    pkBytes = hexToBytes(commitments.publicKey);
  } catch {
    throw new IntegrityError("commitments publicKey", "not hex");
  }
  if (bytesToHex(group.encodePoint(root)) !== commitments.publicKey.toLowerCase())
    throw new IntegrityError("commitments root", "root commitment is not the recorded public key");
  const leafPublic = new Map<string, P>();
  for (const g of gateList) {
    const coeffs = decoded.get(g.path) as P[];
    g.children.forEach((child, i) => {
      const y = evalCommitments(group, coeffs, BigInt(i + 1));
      if (child.kind === "party") leafPublic.set(child.path, y);
      else if (!group.pointEquals((decoded.get(child.path) as P[])[0] as P, y))
        throw new IntegrityError(
          `commitments ${child.path}`,
          `gate constant does not match parent ${g.path} evaluated at ${i + 1}`,
        );
    });
  }
  const v: VerifiedCommitments<P> = Object.freeze({ publicKey: root, publicKeyBytes: pkBytes, leafPublic });
  verifiedCache.set(commitments, { structureHash: hash, group: group.name, v });
  return v;
}

/**
 * Checks a party's share against the public commitments: it must hold exactly the leaves that
 * carry its name, and each leaf value `s` must satisfy `s·G = ` the committed leaf value.
 * @throws {IntegrityError} naming the party and the bad leaf.
 */
export function verifyShare<P>(
  group: Group<P>,
  structure: AccessStructure,
  commitments: ShareCommitments,
  party: string,
  share: PartyShare,
): void {
  const v = verifyCommitments(group, structure, commitments);
  const subject = `share of ${party}`;
  if (share.party !== party) throw new IntegrityError(subject, `share is labelled for "${share.party}"`);
  if (share.group !== group.name) throw new IntegrityError(subject, `share is for group ${share.group}`);
  const expected = leaves(structure)
    .filter((l) => l.name === party)
    .map((l) => l.path);
  if (expected.length === 0) throw new IntegrityError(subject, `"${party}" is not a party of this structure`);
  const got = share.entries.map((e) => e.path);
  if (got.length !== expected.length || got.some((p, i) => p !== expected[i]))
    throw new IntegrityError(subject, `holds leaves [${got.join(", ")}], expected [${expected.join(", ")}]`);
  for (const e of share.entries) {
    if (typeof e.value !== "bigint" || e.value <= 0n || e.value >= group.order)
      throw new IntegrityError(subject, `leaf ${e.path} value is out of range`);
    if (!group.pointEquals(group.baseMul(e.value), v.leafPublic.get(e.path) as P))
      throw new IntegrityError(subject, `leaf ${e.path} does not match its commitment`);
  }
}

function lagrangeAtZero<P>(group: Group<P>, xs: readonly bigint[], xi: bigint): bigint {
  let num = 1n;
  let den = 1n;
  for (const xj of xs) {
    if (xj === xi) continue;
    num = group.mul(num, xj);
    den = group.mul(den, group.sub(xj, xi));
  }
  return group.mul(num, group.inv(den));
}

/**
 * Reconstruction weights of every leaf for a signing set: at each satisfied gate, Lagrange
 * interpolation at 0 over ALL its satisfied children (any number ≥ k works for a degree k-1
 * polynomial), multiplied down the path. Leaves under unsatisfied gates get no weight.
 * For a flat structure this is RFC 9591's Lagrange coefficient over the whole signer set.
 * @throws {InvalidInputError} if the set is not qualified, saying which gates fail.
 */
export function leafCoefficients<P>(
  group: Group<P>,
  structure: AccessStructure,
  signingSet: Iterable<string>,
): Map<string, bigint> {
  const set = new Set(signingSet);
  if (!isQualified(structure, set))
    throw new InvalidInputError("signingSet", `not qualified: ${explainUnqualified(structure, set)}`);
  const out = new Map<string, bigint>();
  const walk = (gate: GateNode, weight: bigint): void => {
    const ok = gate.children.filter((c) => isQualified(c, set));
    const xs = ok.map((c) => BigInt(childIndex(c.path)));
    ok.forEach((c, i) => {
      const w = group.mul(weight, lagrangeAtZero(group, xs, xs[i] as bigint));
      if (c.kind === "party") out.set(c.path, w);
      else walk(c, w);
    });
  };
  walk(structure, 1n);
  return out;
}

/**
 * How a signing set reconstructs: per party, one coefficient `λ_p` and the weights that fold the
 * party's leaves into one value.
 *
 * Folding rule: let the party's contributing leaves be ℓ_1..ℓ_m in depth-first order with leaf
 * coefficients λ_1..λ_m (see {@link leafCoefficients}). Then `λ_p = λ_1` and the party's combined
 * value is `v_p = Σ (λ_i / λ_1)·s_i`, so `secret = Σ_p λ_p·v_p`. A party with one contributing
 * leaf has `v_p = s` and `λ_p` its plain (flat: RFC 9591 Lagrange) coefficient.
 */
export interface ReconstructionPlan {
  readonly coefficients: ReadonlyMap<string, bigint>;
  readonly leafWeights: ReadonlyMap<string, readonly { readonly path: string; readonly weight: bigint }[]>;
  /** Members of the signing set that contribute nothing (their leaves sit under unsatisfied gates). */
  readonly idle: readonly string[];
}

/**
 * Builds the {@link ReconstructionPlan} for `signingSet`.
 * @throws {InvalidInputError} if the set is not qualified.
 */
export function reconstructionPlan<P>(
  group: Group<P>,
  structure: AccessStructure,
  signingSet: Iterable<string>,
): ReconstructionPlan {
  const set = new Set(signingSet);
  const leafCoeff = leafCoefficients(group, structure, set);
  const coefficients = new Map<string, bigint>();
  const leafWeights = new Map<string, { path: string; weight: bigint }[]>();
  for (const leaf of leaves(structure)) {
    const c = leafCoeff.get(leaf.path);
    if (c === undefined) continue;
    let lp = coefficients.get(leaf.name);
    if (lp === undefined) {
      lp = c;
      coefficients.set(leaf.name, c);
      leafWeights.set(leaf.name, []);
    }
    (leafWeights.get(leaf.name) as { path: string; weight: bigint }[]).push({
      path: leaf.path,
      weight: group.mul(c, group.inv(lp)),
    });
  }
  const idle = [...set].filter((p) => !coefficients.has(p)).sort();
  return { coefficients, leafWeights, idle };
}

/**
 * Per-party reconstruction coefficients for a signing set, such that
 * `secret = Σ coeff_p · foldShare(p)`; see {@link ReconstructionPlan} for the folding rule.
 * Parties of the set that contribute nothing are absent from the map.
 * @throws {InvalidInputError} if the set is not qualified.
 */
export function reconstructionCoefficients<P>(
  group: Group<P>,
  structure: AccessStructure,
  signingSet: Iterable<string>,
): Map<string, bigint> {
  return new Map(reconstructionPlan(group, structure, signingSet).coefficients);
}

/** The members of `set` that contribute to reconstruction (drop the others before signing). */
export function contributingParties(structure: AccessStructure, set: Iterable<string>): string[] {
  const s = new Set(set);
  if (!isQualified(structure, s)) return [];
  const out = new Set<string>();
  const walk = (n: GateNode): void => {
    for (const c of n.children) {
      if (!isQualified(c, s)) continue;
      if (c.kind === "party") out.add(c.name);
      else walk(c);
    }
  };
  walk(structure);
  return parties(structure).filter((p) => out.has(p));
}

/**
 * The party's combined value for a plan: `Σ weight_i · s_i` over its contributing leaves.
 * @throws {InvalidInputError} if the share lacks a leaf the plan needs.
 */
export function foldShare<P>(group: Group<P>, plan: ReconstructionPlan, share: PartyShare): bigint {
  const weights = plan.leafWeights.get(share.party);
  if (!weights)
    throw new InvalidInputError("share", `party "${share.party}" does not contribute to this set`);
  let acc = 0n;
  for (const { path, weight } of weights) {
    const e = share.entries.find((x) => x.path === path);
    if (!e) throw new InvalidInputError("share", `party "${share.party}" lacks leaf ${path}`);
    acc = group.add(acc, group.mul(weight, e.value));
  }
  return acc;
}

/** The public counterpart of {@link foldShare}: `Σ weight_i · Y_i` over the committed leaf values. */
export function foldPublicShare<P>(
  group: Group<P>,
  plan: ReconstructionPlan,
  verified: VerifiedCommitments<P>,
  party: string,
): P {
  const weights = plan.leafWeights.get(party);
  if (!weights) throw new InvalidInputError("party", `party "${party}" does not contribute to this set`);
  let acc = group.identity;
  for (const { path, weight } of weights) {
    const y = verified.leafPublic.get(path) as P;
    acc = group.pointAdd(acc, weight === 1n ? y : group.pointMul(y, weight));
  }
  return acc;
}

/**
 * Reassembles the secret from a qualified set of shares: verifies the commitment tree and every
 * share (naming a bad one), checks the set is qualified (naming the unsatisfied gates),
 * interpolates, and checks `secret·G` equals the recorded public key before returning.
 * @throws {IntegrityError} for a bad share, bad commitments or a result that does not match.
 * @throws {InvalidInputError} if the parties present do not satisfy the structure.
 */
export function combineShares<P>(
  group: Group<P>,
  structure: AccessStructure,
  commitments: ShareCommitments,
  sharesByParty: ReadonlyMap<string, PartyShare> | readonly PartyShare[],
): bigint {
  const verified = verifyCommitments(group, structure, commitments);
  const map: ReadonlyMap<string, PartyShare> = Array.isArray(sharesByParty)
    ? new Map((sharesByParty as readonly PartyShare[]).map((s) => [s.party, s]))
    : (sharesByParty as ReadonlyMap<string, PartyShare>);
  for (const [party, share] of map) verifyShare(group, structure, commitments, party, share);
  const plan = reconstructionPlan(group, structure, map.keys());
  let secret = 0n;
  for (const [party, coeff] of plan.coefficients)
    secret = group.add(secret, group.mul(coeff, foldShare(group, plan, map.get(party) as PartyShare)));
  if (!group.pointEquals(group.baseMul(secret), verified.publicKey))
    throw new IntegrityError("combined secret", "does not match the recorded public key");
  return secret;
}

/** Serialises a share for storage or encryption (hex scalars). Secret. */
export function encodePartyShare<P>(group: Group<P>, share: PartyShare): Uint8Array {
  const json = JSON.stringify({
    party: share.party,
    group: share.group,
    entries: share.entries.map((e) => [e.path, bytesToHex(group.encodeScalar(e.value))]),
  });
  return new TextEncoder().encode(json);
}

/**
 * Parses {@link encodePartyShare} output.
 * @throws {InvalidInputError} on malformed input.
 */
export function decodePartyShare<P>(group: Group<P>, bytes: Uint8Array): PartyShare {
  let obj: unknown;
  try {
    obj = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new InvalidInputError("share", "not valid JSON");
  }
  const o = obj as { party?: unknown; group?: unknown; entries?: unknown };
  if (typeof o.party !== "string" || o.group !== group.name || !Array.isArray(o.entries))
    throw new InvalidInputError("share", "expected {party, group, entries}");
  const entries = o.entries.map((e: unknown, i: number) => {
    if (!Array.isArray(e) || typeof e[0] !== "string" || typeof e[1] !== "string")
      throw new InvalidInputError(`share entries[${i}]`, "expected [path, hex]");
    let raw: Uint8Array;
    try {
      raw = hexToBytes(e[1]);
    } catch {
      throw new InvalidInputError(`share entries[${i}]`, "value is not hex");
    }
    return Object.freeze({ path: e[0], value: group.decodeScalar(raw, `share entries[${i}]`) });
  });
  return Object.freeze({ party: o.party, group: group.name, entries: Object.freeze(entries) });
}
