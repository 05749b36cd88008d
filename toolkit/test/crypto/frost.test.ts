import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ed25519, ed25519_FROST } from "@noble/curves/ed25519.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { IntegrityError, InvalidInputError, RefusedError } from "../../src/errors.js";
import type { FrostCommitment, FrostPublicPackage, PartyShare } from "../../src/crypto/index.js";
import {
  aggregate,
  commit,
  contributingParties,
  deterministicRng,
  ed25519Group as G,
  groupPublicKey,
  isQualified,
  messageDigest,
  parseAccessStructure,
  parties,
  signShare,
  splitSecret,
  verify,
  verifySignatureShare,
} from "../../src/crypto/index.js";
import { structureAndSet } from "./arbitraries.js";

function deal(json: unknown, seed: string) {
  const structure = parseAccessStructure(json);
  const rng = deterministicRng(seed);
  const d = splitSecret(G, G.randomScalar(rng), structure, rng);
  const pkg: FrostPublicPackage = { structure, commitments: d.commitments };
  return { pkg, shares: d.shares, rng, publicKey: d.publicKey };
}

/** Runs both rounds for `signers` and returns everything the tests poke at. */
function run(
  pkg: FrostPublicPackage,
  shares: Map<string, PartyShare>,
  signers: string[],
  msg: Uint8Array,
  rng = deterministicRng("run"),
) {
  const sessionId = "session-1";
  const binding = { messageDigest: messageDigest(msg), sessionId };
  const r1 = signers.map((p) => ({ p, ...commit(pkg, shares.get(p)!, rng, binding) }));
  const list = r1.map((r) => r.commitment);
  const sigShares = r1.map((r) => signShare(pkg, shares.get(r.p)!, r.nonces, list, msg, sessionId));
  return { r1, list, sigShares, binding, sessionId };
}

const hierarchical = {
  all: [{ threshold: 2, of: ["alice", "bob", "carol"] }, { any: ["server-1", "server-2"] }, "head"],
};

describe("FROST over an access structure", () => {
  const { pkg, shares, publicKey } = deal(hierarchical, "frost-hier");
  const msg = utf8ToBytes("withdraw everything to the cold address");

  it("signs with a qualified hierarchical set; the result verifies with plain RFC 8032", () => {
    const { list, sigShares } = run(pkg, shares, ["alice", "carol", "server-2", "head"], msg);
    for (const s of sigShares) verifySignatureShare(pkg, list, msg, s);
    const sig = aggregate(pkg, list, msg, sigShares);
    assert.equal(ed25519.verify(sig, msg, publicKey, { zip215: false }), true);
    assert.equal(verify(sig, msg, groupPublicKey(pkg)), true);
  });

  it("refuses an unqualified signing set before anyone signs", () => {
    const rng = deterministicRng("unq");
    const r = ["alice", "server-1", "head"].map((p) => commit(pkg, shares.get(p)!, rng));
    assert.throws(
      () =>
        signShare(
          pkg,
          shares.get("alice")!,
          r[0]!.nonces,
          r.map((x) => x.commitment),
          msg,
        ),
      (e: unknown) => e instanceof InvalidInputError && /root\.1 needs 2/.test(e.message),
    );
    assert.equal(r[0]!.nonces.used, false);
  });

  it("names the party whose signature share was tampered with", () => {
    const { list, sigShares } = run(pkg, shares, ["alice", "bob", "server-1", "head"], msg);
    const z = hexToBytes(sigShares[1]!.share);
    z[0]! ^= 1;
    const bad = sigShares.map((s, i) => (i === 1 ? { ...s, share: bytesToHex(z) } : s));
    assert.throws(() => verifySignatureShare(pkg, list, msg, bad[1]!), /signature share of bob/);
    assert.throws(
      () => aggregate(pkg, list, msg, bad),
      (e: unknown) => e instanceof IntegrityError && /invalid share\(s\) from bob$/.test(e.message),
    );
  });

  it("detects a swapped commitment in the list", () => {
    const { list, sigShares } = run(pkg, shares, ["alice", "bob", "server-1", "head"], msg);
    const other = commit(pkg, shares.get("head")!, deterministicRng("x")).commitment;
    const swapped = list.map((c) => (c.party === "head" ? other : c));
    assert.throws(() => aggregate(pkg, swapped, msg, sigShares), IntegrityError);
  });

  it("refuses a second signature with the same nonces", () => {
    const rng = deterministicRng("reuse");
    const r = ["alice", "bob", "server-1", "head"].map((p) => ({ p, ...commit(pkg, shares.get(p)!, rng) }));
    const list = r.map((x) => x.commitment);
    signShare(pkg, shares.get("alice")!, r[0]!.nonces, list, msg);
    assert.throws(
      () => signShare(pkg, shares.get("alice")!, r[0]!.nonces, list, utf8ToBytes("other")),
      (e: unknown) => e instanceof RefusedError && e.code === "NONCE_REUSED",
    );
  });

  it("refuses a message or session other than the one the nonces were bound to", () => {
    const rng = deterministicRng("bind");
    const binding = { messageDigest: messageDigest(msg), sessionId: "s-7" };
    const r = ["alice", "bob", "server-1", "head"].map((p) => ({
      p,
      ...commit(pkg, shares.get(p)!, rng, binding),
    }));
    const list = r.map((x) => x.commitment);
    assert.throws(
      () => signShare(pkg, shares.get("alice")!, r[0]!.nonces, list, utf8ToBytes("send it elsewhere"), "s-7"),
      (e: unknown) => e instanceof RefusedError && e.code === "MESSAGE_MISMATCH",
    );
    assert.throws(
      () => signShare(pkg, shares.get("alice")!, r[0]!.nonces, list, msg, "s-8"),
      (e: unknown) => e instanceof RefusedError && e.code === "SESSION_MISMATCH",
    );
    assert.equal(r[0]!.nonces.used, false);
  });

  it("refuses a list that does not carry the signer's own commitment", () => {
    const rng = deterministicRng("own");
    const r = ["alice", "bob", "server-1", "head"].map((p) => ({ p, ...commit(pkg, shares.get(p)!, rng) }));
    const fake: FrostCommitment = { ...r[0]!.commitment, hiding: r[1]!.commitment.hiding };
    const list = [fake, ...r.slice(1).map((x) => x.commitment)];
    assert.throws(
      () => signShare(pkg, shares.get("alice")!, r[0]!.nonces, list, msg),
      (e: unknown) => e instanceof RefusedError && e.code === "COMMITMENT_MISMATCH",
    );
  });

  it("refuses a commitment whose identifier does not match the party", () => {
    const rng = deterministicRng("ids");
    const r = ["alice", "bob", "server-1", "head"].map((p) => commit(pkg, shares.get(p)!, rng));
    const list = r.map((x, i) => (i === 1 ? { ...x.commitment, identifier: 9 } : x.commitment));
    assert.throws(
      () => signShare(pkg, shares.get("alice")!, r[0]!.nonces, list, msg),
      /does not have identifier 9/,
    );
  });

  it("refuses commitments with a small-order component or the identity (RFC 9591 DeserializeElement)", () => {
    const rng = deterministicRng("torsion");
    const r = ["alice", "bob", "server-1", "head"].map((p) => commit(pkg, shares.get(p)!, rng));
    // (0, -1) has order 2; adding it keeps the point on the curve but leaves the subgroup.
    const order2 = ed25519.Point.fromHex("ec" + "ff".repeat(30) + "7f");
    const dirty = bytesToHex(ed25519.Point.fromHex(r[1]!.commitment.hiding).add(order2).toBytes());
    const withTorsion = r.map((x, i) => (i === 1 ? { ...x.commitment, hiding: dirty } : x.commitment));
    assert.throws(
      () => signShare(pkg, shares.get("alice")!, r[0]!.nonces, withTorsion, msg),
      (e: unknown) =>
        e instanceof InvalidInputError &&
        /bob\.hiding: point is not in the prime-order subgroup/.test(e.message),
    );
    const identity = "01" + "00".repeat(31);
    const withIdentity = r.map((x, i) => (i === 2 ? { ...x.commitment, binding: identity } : x.commitment));
    assert.throws(
      () => signShare(pkg, shares.get("alice")!, r[0]!.nonces, withIdentity, msg),
      /identity point/,
    );
    assert.equal(r[0]!.nonces.used, false);
  });

  it("hedges nonces with the message: the same RNG output gives different nonces for different messages", () => {
    const a = commit(pkg, shares.get("alice")!, deterministicRng("same"), {
      messageDigest: messageDigest(msg),
      sessionId: "s",
    });
    const b = commit(pkg, shares.get("alice")!, deterministicRng("same"), {
      messageDigest: messageDigest(utf8ToBytes("x")),
      sessionId: "s",
    });
    assert.notEqual(a.commitment.hiding, b.commitment.hiding);
  });
});

describe("property: random structures, random sets", () => {
  it("qualified sets produce valid Ed25519 signatures; unqualified sets cannot sign", () => {
    let seed = 0;
    fc.assert(
      fc.property(structureAndSet, ({ json, set }) => {
        const { pkg, shares, publicKey } = deal(json, `fprop-${seed++}`);
        const present = set.filter((p) => parties(pkg.structure).includes(p));
        const msg = utf8ToBytes(`msg-${seed}`);
        if (isQualified(pkg.structure, present)) {
          const signers = contributingParties(pkg.structure, present);
          const { list, sigShares } = run(pkg, shares, signers, msg);
          const sig = aggregate(pkg, list, msg, sigShares);
          assert.equal(ed25519.verify(sig, msg, publicKey, { zip215: false }), true);
        } else if (present.length > 0) {
          const rng = deterministicRng("u");
          const r = present.map((p) => commit(pkg, shares.get(p)!, rng));
          assert.throws(
            () =>
              signShare(
                pkg,
                shares.get(present[0]!)!,
                r[0]!.nonces,
                r.map((x) => x.commitment),
                msg,
              ),
            InvalidInputError,
          );
        }
      }),
      { numRuns: 30 },
    );
  });
});

describe("interoperability with noble's ed25519_FROST (flat 2-of-3)", () => {
  const { pkg, shares, publicKey } = deal({ threshold: 2, of: ["p1", "p2", "p3"] }, "noble-interop");
  const nobleId = (i: number) => ed25519_FROST.Identifier.fromNumber(i);
  const nobleSecret = (i: number) => ({
    identifier: nobleId(i),
    signingShare: G.encodeScalar(shares.get(`p${i}`)!.entries[0]!.value),
  });
  const noblePub = {
    signers: { min: 2, max: 3 },
    commitments: pkg.commitments.gates.root!.map((h) => hexToBytes(h)),
    verifyingShares: Object.fromEntries(
      [1, 2, 3].map((i) => [nobleId(i), G.encodePoint(G.baseMul(shares.get(`p${i}`)!.entries[0]!.value))]),
    ),
  };
  const msg = utf8ToBytes("mixed signers");

  it("one signer on noble, one on this toolkit: both aggregators accept and agree", () => {
    const ours = commit(pkg, shares.get("p1")!, deterministicRng("mix"));
    const theirs = ed25519_FROST.commit(nobleSecret(3));
    const ourList: FrostCommitment[] = [
      ours.commitment,
      {
        party: "p3",
        identifier: 3,
        hiding: bytesToHex(theirs.commitments.hiding),
        binding: bytesToHex(theirs.commitments.binding),
      },
    ];
    const nobleList = [
      {
        identifier: nobleId(1),
        hiding: hexToBytes(ours.commitment.hiding),
        binding: hexToBytes(ours.commitment.binding),
      },
      theirs.commitments,
    ];
    const z1 = signShare(pkg, shares.get("p1")!, ours.nonces, ourList, msg);
    const z3 = ed25519_FROST.signShare(nobleSecret(3), noblePub, theirs.nonces, nobleList, msg);
    assert.equal(ed25519_FROST.verifyShare(noblePub, nobleList, msg, nobleId(1), hexToBytes(z1.share)), true);
    const ourSig = aggregate(pkg, ourList, msg, [z1, { party: "p3", identifier: 3, share: bytesToHex(z3) }]);
    const nobleSig = ed25519_FROST.aggregate(noblePub, nobleList, msg, {
      [nobleId(1)]: hexToBytes(z1.share),
      [nobleId(3)]: z3,
    });
    assert.equal(bytesToHex(ourSig), bytesToHex(nobleSig));
    assert.equal(ed25519.verify(ourSig, msg, publicKey, { zip215: false }), true);
  });
});
