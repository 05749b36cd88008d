/**
 * Access structures: who must be present to use a cold key.
 *
 * JSON form (validated by {@link parseAccessStructure}):
 * - a party: a name string matching `[a-z0-9][a-z0-9._-]{0,63}`;
 * - `{ "threshold": k, "of": [child, ...] }`: any k of the children;
 * - `{ "all": [...] }`: every child (n of n); `{ "any": [...] }`: one child (1 of n).
 *
 * Example: `{ "all": [ { "threshold": 2, "of": ["alice", "bob", "carol"] },
 *                      { "any": ["server-1", "server-2"] }, "head" ] }`.
 *
 * Gates and leaves are addressed by paths: the root gate is `"root"`, its i-th child (1-based)
 * is `"root.i"`, and so on. Child indices are also the Shamir evaluation points of the parent
 * gate's polynomial.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { InvalidInputError } from "../errors.js";

/** A party leaf of an access structure. */
export interface PartyNode {
  readonly kind: "party";
  readonly name: string;
  /** Path of this leaf, e.g. `"root.2.1"`. */
  readonly path: string;
}

/** A k-of-n gate. */
export interface GateNode {
  readonly kind: "gate";
  readonly threshold: number;
  readonly children: readonly AccessNode[];
  readonly path: string;
}

/** Node of a parsed access structure. */
export type AccessNode = PartyNode | GateNode;

/** A validated access structure; its root is always a gate. */
export type AccessStructure = GateNode;

/** JSON accepted by {@link parseAccessStructure}. */
export type AccessStructureJson =
  | string
  | { threshold: number; of: AccessStructureJson[] }
  | { all: AccessStructureJson[] }
  | { any: AccessStructureJson[] };

/** Limits enforced by the parser. */
export const ACCESS_LIMITS = Object.freeze({ maxDepth: 8, maxLeaves: 64, maxChildren: 64 });

const PARTY_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** True if `name` is an acceptable party name. */
export function isValidPartyName(name: unknown): name is string {
  return typeof name === "string" && PARTY_NAME.test(name);
}

/**
 * Validates the JSON form and returns the parsed structure (a bare party name becomes 1 of 1).
 * @throws {InvalidInputError} with the path of the offending node and the reason: unknown
 *   keys, k < 1, k > number of children, empty gates, bad party names, a party twice in the
 *   same gate, depth > 8, more than 64 leaves.
 * @example
 * parseAccessStructure({ threshold: 2, of: ["alice", "bob", "carol"] });
 */
export function parseAccessStructure(json: unknown): AccessStructure {
  let value = json;
  if (typeof value === "string" && value.trim().startsWith("{")) {
    try {
      value = JSON.parse(value);
    } catch {
      throw new InvalidInputError("accessStructure", "not valid JSON");
    }
  }
  if (typeof value === "string") value = { threshold: 1, of: [value] };
  let leaves = 0;
  const parse = (node: unknown, path: string, depth: number): AccessNode => {
    const field = `accessStructure ${path}`;
    if (typeof node === "string") {
      if (!isValidPartyName(node))
        throw new InvalidInputError(
          field,
          `bad party name ${JSON.stringify(node)}: use [a-z0-9][a-z0-9._-]{0,63}`,
        );
      leaves++;
      if (leaves > ACCESS_LIMITS.maxLeaves)
        throw new InvalidInputError(field, `more than ${ACCESS_LIMITS.maxLeaves} party leaves`);
      return Object.freeze({ kind: "party", name: node, path });
    }
    if (typeof node !== "object" || node === null || Array.isArray(node))
      throw new InvalidInputError(field, "expected a party name or a gate object");
    if (depth > ACCESS_LIMITS.maxDepth)
      throw new InvalidInputError(field, `gates nested deeper than ${ACCESS_LIMITS.maxDepth}`);
    const keys = Object.keys(node).sort();
    let threshold: unknown;
    let children: unknown;
    const shape = keys.join(",");
    const obj = node as Record<string, unknown>;
    if (shape === "of,threshold") {
      threshold = obj.threshold;
      children = obj.of;
    } else if (shape === "all") {
      children = obj.all;
      threshold = Array.isArray(children) ? children.length : 0;
    } else if (shape === "any") {
      children = obj.any;
      threshold = 1;
    } else {
      const unknown = keys.filter((k) => !["threshold", "of", "all", "any"].includes(k));
      throw new InvalidInputError(
        field,
        unknown.length > 0
          ? `unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(", ")}`
          : `a gate is exactly one of {threshold, of}, {all} or {any}; got keys {${keys.join(", ")}}`,
      );
    }
    if (!Array.isArray(children)) throw new InvalidInputError(field, "gate children must be an array");
    if (children.length === 0) throw new InvalidInputError(field, "empty gate: it has no children");
    if (children.length > ACCESS_LIMITS.maxChildren)
      throw new InvalidInputError(field, `more than ${ACCESS_LIMITS.maxChildren} children`);
    if (typeof threshold !== "number" || !Number.isInteger(threshold))
      throw new InvalidInputError(field, `threshold must be an integer, got ${JSON.stringify(threshold)}`);
    if (threshold < 1)
      throw new InvalidInputError(field, `threshold ${threshold} < 1: the gate would need nobody`);
    if (threshold > children.length)
      throw new InvalidInputError(
        field,
        `threshold ${threshold} > ${children.length} children: the gate can never be satisfied`,
      );
    const seen = new Set<string>();
    for (const c of children) {
      if (typeof c === "string") {
        if (seen.has(c)) throw new InvalidInputError(field, `party "${c}" appears twice in the same gate`);
        seen.add(c);
      }
    }
    const parsed = children.map((c, i) => parse(c, `${path}.${i + 1}`, depth + 1));
    return Object.freeze({ kind: "gate", threshold, children: Object.freeze(parsed), path });
  };
  return parse(value, "root", 1) as GateNode;
}

/** The canonical JSON form (`{threshold, of}` everywhere), stable across sugar. */
export function toJson(structure: AccessNode): AccessStructureJson {
  if (structure.kind === "party") return structure.name;
  return { threshold: structure.threshold, of: structure.children.map(toJson) };
}

/** Canonical serialisation hashed by {@link structureHash}. */
export function canonicalString(structure: AccessStructure): string {
  return JSON.stringify(toJson(structure));
}

/** SHA-256 of the canonical JSON, hex; binds shares, ciphertexts and transcripts to a structure. */
export function structureHash(structure: AccessStructure): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalString(structure))));
}

/** Every leaf, depth-first, left to right. */
export function leaves(structure: AccessNode): PartyNode[] {
  if (structure.kind === "party") return [structure];
  return structure.children.flatMap(leaves);
}

/** Every gate, depth-first (root first). */
export function gates(structure: AccessNode): GateNode[] {
  if (structure.kind === "party") return [];
  return [structure, ...structure.children.flatMap(gates)];
}

/**
 * Distinct party names in order of first appearance (depth-first). A party's position in this
 * list plus one is its FROST identifier; for a flat structure that is its index 1..n.
 */
export function parties(structure: AccessStructure): string[] {
  return [...new Set(leaves(structure).map((l) => l.name))];
}

/** The FROST identifier (1-based) of each party, see {@link parties}. */
export function partyIdentifiers(structure: AccessStructure): Map<string, number> {
  return new Map(parties(structure).map((p, i) => [p, i + 1]));
}

/** True if the structure is a single threshold gate over distinct parties (plain Shamir). */
export function isFlat(structure: AccessStructure): boolean {
  return structure.children.every((c) => c.kind === "party");
}

function toSet(set: Iterable<string>): Set<string> {
  return set instanceof Set ? (set as Set<string>) : new Set(set);
}

/** True if the parties in `set` satisfy the structure. */
export function isQualified(structure: AccessNode, set: Iterable<string>): boolean {
  const s = toSet(set);
  const q = (n: AccessNode): boolean =>
    n.kind === "party" ? s.has(n.name) : n.children.filter(q).length >= n.threshold;
  return q(structure);
}

/**
 * A deterministic inclusion-minimal qualified subset of `set`: at each gate take the first k
 * satisfied children (by index), then drop parties one at a time in sorted order while the
 * remainder stays qualified.
 * @throws {InvalidInputError} if `set` is not qualified.
 */
export function minimalQualifiedSubset(structure: AccessStructure, set: Iterable<string>): string[] {
  const s = toSet(set);
  if (!isQualified(structure, s))
    throw new InvalidInputError("parties", `not qualified: ${explainUnqualified(structure, s)}`);
  const chosen = new Set<string>();
  const pick = (n: AccessNode): void => {
    if (n.kind === "party") {
      chosen.add(n.name);
      return;
    }
    n.children
      .filter((c) => isQualified(c, s))
      .slice(0, n.threshold)
      .forEach(pick);
  };
  pick(structure);
  for (const p of [...chosen].sort()) {
    chosen.delete(p);
    if (!isQualified(structure, chosen)) chosen.add(p);
  }
  const order = parties(structure);
  return [...chosen].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

/**
 * Human-readable reason why `set` does not satisfy the structure, naming the unsatisfied gates,
 * e.g. `root.1 needs 2 of {alice, bob, carol}, has 1 (alice)`. Empty string if qualified.
 */
export function explainUnqualified(structure: AccessStructure, set: Iterable<string>): string {
  const s = toSet(set);
  const problems: string[] = [];
  const walk = (n: GateNode): void => {
    const ok = n.children.filter((c) => isQualified(c, s));
    if (ok.length >= n.threshold) return;
    const have = ok.map((c) => (c.kind === "party" ? c.name : c.path));
    problems.push(
      `${n.path} needs ${n.threshold} of {${n.children.map(shortName).join(", ")}}, has ${ok.length}` +
        (have.length ? ` (${have.join(", ")})` : ""),
    );
    for (const c of n.children) if (c.kind === "gate" && !isQualified(c, s)) walk(c);
  };
  walk(structure);
  return problems.join("; ");
}

function shortName(n: AccessNode): string {
  return n.kind === "party" ? n.name : n.path;
}

/**
 * Human-readable description, e.g.
 * `2 of {alice, bob, carol} AND 1 of {server-1, server-2} AND head`.
 */
export function describe(structure: AccessNode): string {
  const inner = (n: AccessNode, top: boolean): string => {
    if (n.kind === "party") return n.name;
    const parts = n.children.map((c) => inner(c, false));
    if (n.threshold === n.children.length && n.children.length > 1) {
      const s = parts.join(" AND ");
      return top ? s : `(${s})`;
    }
    if (n.threshold === 1 && n.children.length === 1) return parts[0] as string;
    return `${n.threshold} of {${parts.join(", ")}}`;
  };
  return inner(structure, true);
}

/**
 * Looks a node up by path.
 * @throws {InvalidInputError} if there is no such node.
 */
export function nodeAt(structure: AccessStructure, path: string): AccessNode {
  const parts = path.split(".");
  if (parts[0] !== "root")
    throw new InvalidInputError("path", `paths start at "root", got ${JSON.stringify(path)}`);
  let node: AccessNode = structure;
  for (const p of parts.slice(1)) {
    const i = Number(p);
    if (node.kind !== "gate" || !Number.isInteger(i) || i < 1 || i > node.children.length)
      throw new InvalidInputError("path", `no node at ${JSON.stringify(path)}`);
    node = node.children[i - 1] as AccessNode;
  }
  return node;
}

/** Index of the node at `path` within its parent (the last path component). */
export function childIndex(path: string): number {
  return Number(path.slice(path.lastIndexOf(".") + 1));
}
