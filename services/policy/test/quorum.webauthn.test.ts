import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import {
  policyActivationDigest,
  policyActivationMessage,
  policyHash,
  signPolicyActivation,
  validatePolicy,
  verifyPolicyActivation,
  verifyPolicyChain,
} from "../src/index.js";
import type { GenesisQuorum, PolicyDocument, PolicySignature, PolicyValidationError } from "../src/index.js";
import { SoftAuthenticator } from "../src/testing/soft-authenticator.js";
import { approverPublic, approverSecret, clone, examplePolicy } from "./helpers.js";

const WEB = { rpId: "approvals.example.com", origins: ["https://approvals.example.com"] };
const AT = { origin: "https://approvals.example.com", rpId: "approvals.example.com" };
const OFFICERS = ["erin", "frank", "grace"];
const pk = Object.fromEntries(
  OFFICERS.map((id) => [id, new SoftAuthenticator(sha256(utf8ToBytes(`passkey ${id}`)))]),
);
const NOW = 1_795_400_000;
let n = 0;

/** Passkey activation evidence by `id` for `policy`. */
function passkeySign(
  policy: unknown,
  id: string,
  auth = pk[id]!,
  over: { now?: number } = {},
): PolicySignature {
  return {
    evidence: auth.approve(
      {
        subject: { kind: "policy", digest: policyActivationDigest(policy) },
        expiresAt: (over.now ?? NOW) + 600,
        nonce: bytesToHex(sha256(utf8ToBytes(`n${n++}`))).slice(0, 32),
        approverId: id,
      },
      AT,
    ),
  };
}

/** The example policy with officers' passkeys and WebAuthn settings. */
function v1(): PolicyDocument {
  const p = clone(examplePolicy());
  p.webauthn = WEB;
  for (const a of p.approverGroups["custody-officers"]!.approvers) a.passkeys = [pk[a.id]!.passkey()];
  return validatePolicy(p);
}
const genesis: GenesisQuorum = {
  approvers: OFFICERS.map((id) => ({ id, publicKeys: [approverPublic(id)], passkeys: [pk[id]!.passkey()] })),
  threshold: 2,
  webauthn: WEB,
};
function successor(prev: PolicyDocument, edit: (p: PolicyDocument) => void = () => {}): PolicyDocument {
  const next = clone(prev) as PolicyDocument;
  next.version = prev.version + 1;
  next.previousPolicyHash = policyHash(prev);
  edit(next);
  return validatePolicy(next);
}

describe("policy activation by passkeys", () => {
  it("signs SHA-256 of the activation message", () => {
    assert.equal(policyActivationDigest(v1()), bytesToHex(sha256(policyActivationMessage(v1()))));
  });

  it("activates with two officers' passkeys, or one passkey and one Ed25519 key", () => {
    const doc = v1();
    assert.equal(
      verifyPolicyActivation(doc, [passkeySign(doc, "erin"), passkeySign(doc, "frank")], { genesis })
        .activated,
      true,
    );
    const mixed = verifyPolicyActivation(
      doc,
      [passkeySign(doc, "erin"), signPolicyActivation(doc, approverSecret("frank"))],
      { genesis },
    );
    assert.deepEqual(mixed.approvedBy, ["erin", "frank"]);
  });

  it("counts an officer once across a passkey and an Ed25519 key", () => {
    const doc = v1();
    const r = verifyPolicyActivation(
      doc,
      [passkeySign(doc, "erin"), signPolicyActivation(doc, approverSecret("erin"))],
      { genesis },
    );
    assert.equal(r.activated, false);
    assert.match(r.ignored[0]?.reason ?? "", /already counted/);
  });

  it("ignores a passkey approval of another version, an outsider's passkey, and a tampered one", () => {
    const doc = v1();
    const v2 = successor(doc, (p) => (p.description = "v2"));
    const mallory = new SoftAuthenticator(sha256(utf8ToBytes("mallory")));
    const forged = passkeySign(doc, "grace") as { evidence: { signature: string } };
    const bad = {
      evidence: { ...forged.evidence, signature: forged.evidence.signature.replace(/^../, "MD") },
    } as PolicySignature;
    const r = verifyPolicyActivation(
      doc,
      [passkeySign(v2, "erin"), passkeySign(doc, "frank", mallory), bad, passkeySign(doc, "erin")],
      { genesis },
    );
    assert.equal(r.activated, false);
    assert.deepEqual(r.approvedBy, ["erin"]);
    assert.equal(r.ignored.length, 3);
  });

  it("checks expiry only when told the time (history re-verification cannot)", () => {
    const doc = v1();
    const sigs = [passkeySign(doc, "erin"), passkeySign(doc, "frank")];
    assert.equal(verifyPolicyActivation(doc, sigs, { genesis }, { now: NOW + 599 }).activated, true);
    assert.equal(verifyPolicyActivation(doc, sigs, { genesis }, { now: NOW + 600 }).activated, false);
    assert.equal(verifyPolicyActivation(doc, sigs, { genesis }).activated, true);
  });

  it("verifies a chain where version 2 removes an officer's passkey and version 3 is refused with it", () => {
    const doc = v1();
    const v2 = successor(doc, (p) => {
      const group = p.approverGroups["custody-officers"]!;
      group.approvers = group.approvers.filter((a) => a.id !== "grace");
      p.quorum.threshold = 2;
      p.rules = p.rules.filter((r) => r.id !== "withdrawal-preparation");
    });
    const v3 = successor(v2, (p) => (p.description = "v3"));
    const history = [
      { policy: doc, signatures: [passkeySign(doc, "erin"), passkeySign(doc, "grace")] },
      { policy: v2, signatures: [passkeySign(v2, "frank"), passkeySign(v2, "grace")] },
    ];
    assert.equal(verifyPolicyChain(history, genesis).policyHash, policyHash(v2));
    assert.throws(
      () =>
        verifyPolicyChain(
          [...history, { policy: v3, signatures: [passkeySign(v3, "erin"), passkeySign(v3, "grace")] }],
          genesis,
        ),
      /versions\[2\]: 1 of 2/,
    );
  });

  it("refuses passkey approvals when the activating policy names no WebAuthn settings", () => {
    const doc = v1();
    const { webauthn: _drop, ...genesisNoWeb } = genesis;
    void _drop;
    const r = verifyPolicyActivation(doc, [passkeySign(doc, "erin"), passkeySign(doc, "frank")], {
      genesis: genesisNoWeb,
    });
    assert.equal(r.activated, false);
    assert.match(r.ignored[0]?.reason ?? "", /webauthn/);
  });
});

describe("policy documents with passkeys", () => {
  it("keeps coldpath-policy/1 documents without passkeys valid", () => {
    assert.doesNotThrow(() => validatePolicy(examplePolicy()));
  });
  it("accepts passkey-only approvers and refuses approvers with neither keys nor passkeys", () => {
    const p = clone(v1()) as PolicyDocument;
    delete p.approverGroups["custody-officers"]!.approvers[0]!.publicKeys;
    assert.doesNotThrow(() => validatePolicy(p));
    delete p.approverGroups["custody-officers"]!.approvers[0]!.passkeys;
    assert.throws(
      () => validatePolicy(p),
      (e: PolicyValidationError) => /publicKeys or passkeys/.test(e.message),
    );
  });
  it("refuses one passkey under two approvers and malformed passkeys", () => {
    const p = clone(v1()) as PolicyDocument;
    p.approverGroups["custody-officers"]!.approvers[1]!.passkeys = [pk.erin!.passkey()];
    assert.throws(
      () => validatePolicy(p),
      (e: PolicyValidationError) => /already belongs to approver erin/.test(e.message),
    );
    const q = clone(v1()) as PolicyDocument;
    q.approverGroups["custody-officers"]!.approvers[0]!.passkeys![0]!.publicKey = "02abcd";
    assert.throws(
      () => validatePolicy(q),
      (e: PolicyValidationError) => (e.path ?? "").endsWith("passkeys[0].publicKey"),
    );
    const r = clone(v1()) as PolicyDocument;
    r.webauthn = { rpId: "Bad Host", origins: [] };
    assert.throws(
      () => validatePolicy(r),
      (e: PolicyValidationError) => (e.path ?? "").startsWith("webauthn"),
    );
  });
});
