// Published vectors: RFC 8032 (key derivation, signing), RFC 9591 E.1 (every FROST value) and
// Wycheproof Ed25519 (the verification rule). Provenance in vectors/SOURCES.md.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ed25519 } from "@noble/curves/ed25519.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import {
  aggregate,
  commit,
  ed25519Group as G,
  ed25519PublicKeyFromScalar,
  ed25519ScalarFromSeed,
  parseAccessStructure,
  replayRng,
  signEd25519,
  signShare,
  splitWithPolynomials,
  verify,
  verifySignatureShare,
} from "../../src/crypto/index.js";
import { debugSigningValues } from "../../src/crypto/frost.js";

const load = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), "utf8")) as T;

interface Rfc8032 {
  vectors: { name: string; secretKey: string; publicKey: string; message: string; signature: string }[];
}

describe("RFC 8032 Ed25519 vectors", () => {
  const { vectors } = load<Rfc8032>("rfc8032-ed25519.json");
  it("has the five section 7.1 vectors", () => assert.equal(vectors.length, 5));
  for (const v of vectors) {
    it(`derives the scalar and public key of TEST ${v.name}`, () => {
      const s = ed25519ScalarFromSeed(hexToBytes(v.secretKey));
      assert.equal(bytesToHex(ed25519PublicKeyFromScalar(s)), v.publicKey);
      assert.equal(s, ed25519.utils.getExtendedPublicKey(hexToBytes(v.secretKey)).scalar % G.order);
    });
    it(`signs and verifies TEST ${v.name}`, () => {
      const msg = hexToBytes(v.message);
      const sig = signEd25519(msg, hexToBytes(v.secretKey));
      assert.equal(bytesToHex(sig), v.signature);
      assert.equal(verify(sig, msg, hexToBytes(v.publicKey)), true);
      const bad = sig.slice();
      bad[0]! ^= 1;
      assert.equal(verify(bad, msg, hexToBytes(v.publicKey)), false);
    });
  }
});

interface FrostVector {
  inputs: {
    participant_list: number[];
    group_secret_key: string;
    group_public_key: string;
    message: string;
    share_polynomial_coefficients: string[];
    participant_shares: { identifier: number; participant_share: string }[];
  };
  round_one_outputs: {
    outputs: {
      identifier: number;
      hiding_nonce_randomness: string;
      binding_nonce_randomness: string;
      hiding_nonce_commitment: string;
      binding_nonce_commitment: string;
      binding_factor: string;
    }[];
  };
  round_two_outputs: { outputs: { identifier: number; sig_share: string }[] };
  final_output: { sig: string };
}

describe("RFC 9591 Appendix E.1 FROST(Ed25519, SHA-512)", () => {
  const v = load<FrostVector>("rfc9591-frost-ed25519-sha512.json");
  const structure = parseAccessStructure({ threshold: 2, of: ["p1", "p2", "p3"] });
  const secret = G.decodeScalar(hexToBytes(v.inputs.group_secret_key));
  const a1 = G.decodeScalar(hexToBytes(v.inputs.share_polynomial_coefficients[0] as string));
  const dealt = splitWithPolynomials(G, secret, structure, new Map([["root", [0n, a1]]]));
  const pkg = { structure, commitments: dealt.commitments };
  const msg = hexToBytes(v.inputs.message);
  const r1 = v.round_one_outputs.outputs;
  const shareOf = (id: number) => dealt.shares.get(`p${id}`)!;
  const rounds = r1.map((o) =>
    commit(
      pkg,
      shareOf(o.identifier),
      replayRng([hexToBytes(o.hiding_nonce_randomness), hexToBytes(o.binding_nonce_randomness)]),
    ),
  );
  const list = rounds.map((r) => r.commitment);

  it("uses the vector's signing set", () => assert.deepEqual(v.inputs.participant_list, [1, 3]));

  it("reproduces the group public key", () =>
    assert.equal(dealt.commitments.publicKey, v.inputs.group_public_key));

  it("reproduces every participant share", () => {
    for (const p of v.inputs.participant_shares)
      assert.equal(bytesToHex(G.encodeScalar(shareOf(p.identifier).entries[0]!.value)), p.participant_share);
  });

  it("reproduces the round-one nonce commitments", () => {
    r1.forEach((o, i) => {
      assert.equal(rounds[i]!.commitment.identifier, o.identifier);
      assert.equal(rounds[i]!.commitment.hiding, o.hiding_nonce_commitment);
      assert.equal(rounds[i]!.commitment.binding, o.binding_nonce_commitment);
    });
  });

  it("reproduces the binding factors", () => {
    const d = debugSigningValues(pkg, list, msg);
    for (const o of r1) assert.equal(d.bindingFactors.get(`p${o.identifier}`), o.binding_factor);
  });

  const sigShares = rounds.map((r, i) => signShare(pkg, shareOf(r1[i]!.identifier), r.nonces, list, msg));

  it("reproduces the round-two signature shares, each verifying", () => {
    v.round_two_outputs.outputs.forEach((o, i) => {
      assert.equal(sigShares[i]!.share, o.sig_share);
      verifySignatureShare(pkg, list, msg, sigShares[i]!);
    });
  });

  it("reproduces the final signature, valid under plain RFC 8032 verification", () => {
    const sig = aggregate(pkg, list, msg, sigShares);
    assert.equal(bytesToHex(sig), v.final_output.sig);
    assert.equal(ed25519.verify(sig, msg, hexToBytes(v.inputs.group_public_key), { zip215: false }), true);
    assert.equal(verify(sig, msg, hexToBytes(v.inputs.group_public_key)), true);
  });
});

interface Wycheproof {
  numberOfTests: number;
  testGroups: {
    publicKey: { pk: string };
    tests: { tcId: number; msg: string; sig: string; result: string }[];
  }[];
}

describe("Wycheproof Ed25519: the toolkit verifies with strict RFC 8032 rules", () => {
  const w = load<Wycheproof>("wycheproof-ed25519_test.json");
  const all = w.testGroups.flatMap((g) => g.tests.map((t) => ({ ...t, pk: g.publicKey.pk })));

  it("matches all 151 expected results", () => {
    assert.equal(all.length, 151);
    assert.equal(w.numberOfTests, 151);
    const wrong = all.filter(
      (t) => verify(hexToBytes(t.sig), hexToBytes(t.msg), hexToBytes(t.pk)) !== (t.result === "valid"),
    );
    assert.deepEqual(
      wrong.map((t) => t.tcId),
      [],
    );
  });

  it("differs from ZIP-215 rules on the non-canonical case tcId 151 (which it rejects)", () => {
    const t = all.find((x) => x.tcId === 151)!;
    assert.equal(t.result, "invalid");
    assert.equal(verify(hexToBytes(t.sig), hexToBytes(t.msg), hexToBytes(t.pk)), false);
    assert.equal(
      ed25519.verify(hexToBytes(t.sig), hexToBytes(t.msg), hexToBytes(t.pk), { zip215: true }),
      true,
    );
  });
});
