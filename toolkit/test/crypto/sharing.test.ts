import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ed25519_FROST } from "@noble/curves/ed25519.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { IntegrityError, InvalidInputError } from "../../src/errors.js";
import type { PartyShare, ShareCommitments } from "../../src/crypto/index.js";
import {
  combineShares,
  contributingParties,
  deterministicRng,
  ed25519Group,
  isQualified,
  leafCoefficients,
  parseAccessStructure,
  parties,
  reconstructionPlan,
  foldShare,
  secp256k1Group,
  splitSecret,
  structureHash,
  verifyCommitments,
  verifyShare,
} from "../../src/crypto/index.js";
import { structureAndSet } from "./arbitraries.js";

const example = parseAccessStructure({
  all: [{ threshold: 2, of: ["alice", "bob", "carol"] }, { any: ["server-1", "server-2"] }, "head"],
});

function pick(shares: Map<string, PartyShare>, names: string[]): Map<string, PartyShare> {
  return new Map(names.map((n) => [n, shares.get(n)!]));
}

function integrity(subject: RegExp) {
  return (e: unknown) => e instanceof IntegrityError && subject.test(e.message);
}

describe("splitSecret / combineShares", () => {
  const rng = deterministicRng("sharing-example");
  const secret = ed25519Group.randomScalar(rng);
  const dealt = splitSecret(ed25519Group, secret, example, rng);

  it("records the public key as the root commitment", () => {
    assert.equal(
      dealt.commitments.publicKey,
      bytesToHex(ed25519Group.encodePoint(ed25519Group.baseMul(secret))),
    );
    assert.equal(dealt.commitments.gates.root![0], dealt.commitments.publicKey);
  });

  it("reconstructs from a qualified set", () => {
    const got = combineShares(
      ed25519Group,
      example,
      dealt.commitments,
      pick(dealt.shares, ["bob", "carol", "server-2", "head"]),
    );
    assert.equal(got, secret);
  });

  it("reconstructs from every party, including the redundant ones", () => {
    assert.equal(combineShares(ed25519Group, example, dealt.commitments, dealt.shares), secret);
  });

  it("refuses an unqualified set, naming the unsatisfied gate", () => {
    assert.throws(
      () =>
        combineShares(
          ed25519Group,
          example,
          dealt.commitments,
          pick(dealt.shares, ["alice", "server-1", "head"]),
        ),
      (e: unknown) =>
        e instanceof InvalidInputError && /root\.1 needs 2 of \{alice, bob, carol\}, has 1/.test(e.message),
    );
  });

  it("every party verifies its own share", () => {
    for (const [p, s] of dealt.shares) verifyShare(ed25519Group, example, dealt.commitments, p, s);
  });

  it("names the party and leaf of a share with a flipped bit", () => {
    const bob = dealt.shares.get("bob")!;
    const bad: PartyShare = {
      ...bob,
      entries: [{ path: bob.entries[0]!.path, value: bob.entries[0]!.value ^ 1n }],
    };
    assert.throws(
      () => verifyShare(ed25519Group, example, dealt.commitments, "bob", bad),
      integrity(/share of bob: leaf root\.1\.2 does not match its commitment/),
    );
    assert.throws(
      () =>
        combineShares(
          ed25519Group,
          example,
          dealt.commitments,
          new Map([...pick(dealt.shares, ["alice", "server-1", "head"]), ["bob", bad]]),
        ),
      integrity(/share of bob/),
    );
  });

  it("refuses a share presented for another party", () => {
    assert.throws(
      () => verifyShare(ed25519Group, example, dealt.commitments, "carol", dealt.shares.get("bob")!),
      integrity(/share of carol: share is labelled for "bob"/),
    );
  });

  it("detects a tampered commitment, naming the gate", () => {
    const gatesCopy = { ...dealt.commitments.gates };
    const other = bytesToHex(ed25519Group.encodePoint(ed25519Group.baseMul(12345n)));
    gatesCopy["root.2"] = [other];
    const tampered: ShareCommitments = { ...dealt.commitments, gates: gatesCopy };
    assert.throws(
      () => verifyCommitments(ed25519Group, example, tampered),
      integrity(/commitments root\.2: gate constant does not match parent root/),
    );
    const wrongRoot: ShareCommitments = { ...dealt.commitments, publicKey: other };
    assert.throws(
      () => verifyCommitments(ed25519Group, example, wrongRoot),
      integrity(/not the recorded public key/),
    );
  });

  it("refuses commitments for another structure", () => {
    const other = parseAccessStructure({ threshold: 2, of: ["alice", "bob", "carol"] });
    assert.throws(
      () => verifyCommitments(ed25519Group, other, dealt.commitments),
      integrity(/structure hash/),
    );
  });

  it("never returns a result that does not match the public key", () => {
    // A consistent but different dealing (same structure) cannot be mixed in: its shares fail
    // their commitments, and a forged commitment tree fails against the recorded key.
    const other = splitSecret(ed25519Group, secret + 1n, example, rng);
    assert.throws(
      () =>
        combineShares(
          ed25519Group,
          example,
          dealt.commitments,
          new Map([...pick(dealt.shares, ["alice", "server-1", "head"]), ["bob", other.shares.get("bob")!]]),
        ),
      IntegrityError,
    );
  });

  it("gives a party in several leaves one folded value per signing set", () => {
    const s = parseAccessStructure({ all: [{ any: ["a", "b"] }, { threshold: 2, of: ["a", "c", "d"] }] });
    const d = splitSecret(ed25519Group, 7777n, s, rng);
    assert.equal(d.shares.get("a")!.entries.length, 2);
    const plan = reconstructionPlan(ed25519Group, s, ["a", "c"]);
    let acc = 0n;
    for (const [p, c] of plan.coefficients)
      acc = ed25519Group.add(acc, ed25519Group.mul(c, foldShare(ed25519Group, plan, d.shares.get(p)!)));
    assert.equal(acc, 7777n);
    assert.equal(combineShares(ed25519Group, s, d.commitments, pick(d.shares, ["a", "c"])), 7777n);
  });

  it("works over secp256k1 (big-endian scalars, compressed points)", () => {
    const s = parseAccessStructure({ threshold: 3, of: ["a", "b", "c", "d", "e"] });
    const k = secp256k1Group.randomScalar(rng);
    const d = splitSecret(secp256k1Group, k, s, rng);
    assert.equal(
      d.commitments.publicKey,
      bytesToHex(secp256k1.getPublicKey(secp256k1Group.encodeScalar(k), true)),
    );
    assert.equal(combineShares(secp256k1Group, s, d.commitments, pick(d.shares, ["a", "c", "e"])), k);
    assert.throws(
      () => combineShares(secp256k1Group, s, d.commitments, pick(d.shares, ["a", "c"])),
      InvalidInputError,
    );
  });
});

describe("flat structures are plain RFC 9591 Shamir", () => {
  it("noble's combineSecret and validateSecret accept our flat shares", () => {
    const rng = deterministicRng("flat-noble");
    const s = parseAccessStructure({ threshold: 3, of: ["p1", "p2", "p3", "p4", "p5"] });
    const secret = ed25519Group.randomScalar(rng);
    const d = splitSecret(ed25519Group, secret, s, rng);
    const toNoble = (name: string, i: number) => ({
      identifier: ed25519_FROST.Identifier.fromNumber(i),
      signingShare: ed25519Group.encodeScalar(d.shares.get(name)!.entries[0]!.value),
    });
    const pub = {
      signers: { min: 3, max: 5 },
      commitments: d.commitments.gates.root!.map((h) => hexToBytes(h)),
      verifyingShares: {},
    };
    for (let i = 1; i <= 5; i++) ed25519_FROST.validateSecret(toNoble(`p${i}`, i), pub);
    const combined = ed25519_FROST.combineSecret([toNoble("p2", 2), toNoble("p4", 4), toNoble("p5", 5)], {
      min: 3,
      max: 5,
    });
    assert.equal(bytesToHex(combined), bytesToHex(ed25519Group.encodeScalar(secret)));
  });

  it("noble's trusted dealer shares combine with our combineShares", () => {
    const deal = ed25519_FROST.trustedDealer({ min: 2, max: 3 });
    const s = parseAccessStructure({ threshold: 2, of: ["p1", "p2", "p3"] });
    const commitments: ShareCommitments = {
      version: 1,
      group: "ed25519",
      structureHash: structureHash(s),
      publicKey: bytesToHex(deal.public.commitments[0]!),
      gates: { root: deal.public.commitments.map((c) => bytesToHex(c)) },
    };
    const ids = Object.keys(deal.secretShares).sort();
    const ours = new Map<string, PartyShare>(
      ids.map((id, i) => [
        `p${i + 1}`,
        {
          party: `p${i + 1}`,
          group: "ed25519",
          entries: [
            { path: `root.${i + 1}`, value: ed25519Group.decodeScalar(deal.secretShares[id]!.signingShare) },
          ],
        },
      ]),
    );
    assert.equal(ids[0], ed25519_FROST.Identifier.fromNumber(1));
    const secret = combineShares(ed25519Group, s, commitments, pick(ours, ["p1", "p3"]));
    assert.equal(
      bytesToHex(ed25519Group.encodeScalar(secret)),
      bytesToHex(
        ed25519_FROST.combineSecret([deal.secretShares[ids[0]!]!, deal.secretShares[ids[2]!]!], {
          min: 2,
          max: 3,
        }),
      ),
    );
  });
});

describe("property: random structures and random sets", () => {
  it("every qualified set reconstructs the key and every unqualified set is refused", () => {
    let seed = 0;
    fc.assert(
      fc.property(structureAndSet, ({ json, set }) => {
        const s = parseAccessStructure(json);
        const rng = deterministicRng(`prop-${seed++}`);
        const secret = ed25519Group.randomScalar(rng);
        const d = splitSecret(ed25519Group, secret, s, rng);
        const present = set.filter((p) => parties(s).includes(p));
        const shares = pick(d.shares, present);
        if (isQualified(s, present)) {
          assert.equal(combineShares(ed25519Group, s, d.commitments, shares), secret);
          const contributing = contributingParties(s, present);
          assert.equal(combineShares(ed25519Group, s, d.commitments, pick(d.shares, contributing)), secret);
        } else {
          assert.throws(() => combineShares(ed25519Group, s, d.commitments, shares), InvalidInputError);
          assert.throws(() => leafCoefficients(ed25519Group, s, present), InvalidInputError);
        }
      }),
      { numRuns: 40 },
    );
  });
});
