import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import {
  CanonicalJsonError,
  PolicyActivationError,
  PolicyValidationError,
  assertPolicyActivation,
  canonicalJson,
  policyActivationMessage,
  policyHash,
  signPolicyActivation,
  verifyPolicyActivation,
  verifyPolicyChain,
} from "../src/index.js";
import type { GenesisQuorum, PolicyDocument, PolicySignature } from "../src/index.js";
import { approverPublic, approverSecret, clone, examplePolicy } from "./helpers.js";

const OFFICERS = ["erin", "frank", "grace"];
const genesis: GenesisQuorum = {
  approvers: OFFICERS.map((id) => ({ id, publicKeys: [approverPublic(id)] })),
  threshold: 2,
};
const v1 = examplePolicy();
const sign = (policy: unknown, ...ids: string[]): PolicySignature[] =>
  ids.map((id) => signPolicyActivation(policy, approverSecret(id)));

/** The next version of `prev`, optionally edited. */
function successor(prev: PolicyDocument, edit: (p: PolicyDocument) => void = () => {}): PolicyDocument {
  const next = clone(prev);
  next.version = prev.version + 1;
  next.previousPolicyHash = policyHash(prev);
  edit(next);
  return next;
}

describe("canonical JSON and the policy hash", () => {
  it("sorts keys, drops whitespace and keeps array order", () => {
    assert.equal(
      canonicalJson({ b: [2, 1], a: { d: null, c: "é\n" } }),
      '{"a":{"c":"é\\n","d":null},"b":[2,1]}',
    );
  });

  it("is the SHA-256 of those UTF-8 bytes, independent of key order", () => {
    const reordered = Object.fromEntries(Object.entries(v1).reverse());
    assert.equal(policyHash(reordered), policyHash(v1));
    assert.equal(policyHash(v1), bytesToHex(sha256(utf8ToBytes(canonicalJson(v1)))));
  });

  it("hashes a validated document the same whether JavaScript callers left undefined members or not", () => {
    const withUndefined = clone(v1);
    Object.assign(withUndefined, { description: undefined });
    const without = clone(v1);
    delete (without as { description?: string }).description;
    const a = signPolicyActivation(withUndefined, approverSecret("erin"));
    const b = signPolicyActivation(without, approverSecret("erin"));
    assert.equal(a.signature, b.signature);
  });

  it("refuses values without a canonical form", () => {
    for (const bad of [{ a: 1.5 }, { a: undefined }, { a: 2 ** 53 }, { a: new Date(0) }, { a: 1n }]) {
      assert.throws(
        () => canonicalJson(bad),
        (e: unknown) => e instanceof CanonicalJsonError && e.path === "a",
      );
    }
  });

  it("lays out the signed message as domain || hash || version || previous hash", () => {
    const v2 = successor(v1);
    const msg = policyActivationMessage(v2);
    assert.equal(msg.length, 18 + 32 + 8 + 32);
    assert.equal(new TextDecoder().decode(msg.slice(0, 18)), "coldpath-policy-v1");
    assert.equal(bytesToHex(msg.slice(18, 50)), policyHash(v2));
    assert.equal(bytesToHex(msg.slice(50, 58)), "0000000000000002");
    assert.equal(bytesToHex(msg.slice(58)), policyHash(v1));
    assert.equal(bytesToHex(policyActivationMessage(v1).slice(58)), "00".repeat(32));
  });
});

describe("policy activation by quorum", () => {
  it("activates the genesis version with 2 of 3 genesis officers", () => {
    const report = verifyPolicyActivation(v1, sign(v1, "erin", "grace"), { genesis });
    assert.equal(report.activated, true);
    assert.deepEqual(report.approvedBy, ["erin", "grace"]);
    assert.equal(report.policyHash, policyHash(v1));
  });

  it("a single admin cannot activate a policy", () => {
    const report = verifyPolicyActivation(v1, sign(v1, "erin"), { genesis });
    assert.equal(report.activated, false);
    assert.deepEqual(report.problems, ["1 of 2 required approvers signed"]);
    assert.throws(() => assertPolicyActivation(v1, sign(v1, "erin"), { genesis }), PolicyActivationError);
  });

  it("counts one approver once, even with repeated signatures or several keys", () => {
    const twice = [...sign(v1, "erin"), ...sign(v1, "erin")];
    assert.equal(verifyPolicyActivation(v1, twice, { genesis }).activated, false);

    const secondKey = sha256(utf8ToBytes("erin's second device"));
    const multiKey: GenesisQuorum = {
      approvers: [
        { id: "erin", publicKeys: [approverPublic("erin"), bytesToHex(ed25519.getPublicKey(secondKey))] },
        { id: "frank", publicKeys: [approverPublic("frank")] },
      ],
      threshold: 2,
    };
    const bothKeys = [...sign(v1, "erin"), signPolicyActivation(v1, secondKey)];
    const report = verifyPolicyActivation(v1, bothKeys, { genesis: multiKey });
    assert.equal(report.activated, false);
    assert.deepEqual(report.approvedBy, ["erin"]);
    assert.match(report.ignored[0]?.reason ?? "", /approver erin already counted/);
  });

  it("ignores strangers, approvers of other groups and invalid signatures", () => {
    const stranger = sha256(utf8ToBytes("mallory"));
    const sigs = [
      signPolicyActivation(v1, stranger),
      ...sign(v1, "alice"), // an ops approver, not in the quorum group
      { ...sign(v1, "frank")[0]!, signature: "00".repeat(64) },
      { publicKey: "nothex", signature: "00" },
      ...sign(v1, "erin"),
    ];
    const report = verifyPolicyActivation(v1, sigs, { genesis });
    assert.equal(report.activated, false);
    assert.deepEqual(report.approvedBy, ["erin"]);
    assert.deepEqual(
      report.ignored.map((i) => i.index),
      [0, 1, 2, 3],
    );
  });

  it("a tampered policy fails verification", () => {
    const sigs = sign(v1, "erin", "frank");
    const tampered = clone(v1);
    const votes = tampered.rules.find((r) => r.id === "routine-votes");
    votes?.conditions?.allowlists?.candidates?.push("0xbad0000000000000000000000000000000000bad");
    const report = verifyPolicyActivation(tampered, sigs, { genesis });
    assert.equal(report.activated, false);
    assert.equal(report.ignored.length, 2);
    assert.match(report.ignored[0]?.reason ?? "", /invalid signature by erin/);
  });

  it("a signature for version n replayed for version n+1 fails", () => {
    const v2 = successor(v1);
    const v3 = successor(v2);
    const v2sigs = sign(v2, "erin", "frank");
    assert.equal(verifyPolicyActivation(v2, v2sigs, { previous: v1 }).activated, true);
    const replay = verifyPolicyActivation(v3, v2sigs, { previous: v2 });
    assert.equal(replay.activated, false);
    assert.equal(replay.ignored.length, 2);
  });

  it("refuses versions that do not link to the previous one", () => {
    const skip = successor(v1, (p) => (p.version = 3));
    const r1 = verifyPolicyActivation(skip, sign(skip, "erin", "frank"), { previous: v1 });
    assert.deepEqual(r1.problems, ["version 3 does not follow 1"]);
    const fork = successor(v1, (p) => (p.previousPolicyHash = "11".repeat(32)));
    const r2 = verifyPolicyActivation(fork, sign(fork, "erin", "frank"), { previous: v1 });
    assert.match(r2.problems[0] ?? "", /previousPolicyHash 1111.* is not /);
    const r3 = verifyPolicyActivation(successor(v1), [], { genesis });
    assert.match(r3.problems[0] ?? "", /only version 1/);
  });

  it("rotation goes through the old quorum; the new members have no say in their own admission", () => {
    // v2 replaces grace (who left) by heidi, with the quorum still 2 of custody-officers.
    const heidi = sha256(utf8ToBytes("heidi"));
    const v2 = successor(v1, (p) => {
      const officers = p.approverGroups["custody-officers"];
      assert.ok(officers);
      officers.approvers = officers.approvers.filter((a) => a.id !== "grace");
      officers.approvers.push({ id: "heidi", publicKeys: [bytesToHex(ed25519.getPublicKey(heidi))] });
    });
    const heidiSig = signPolicyActivation(v2, heidi);
    assert.equal(
      verifyPolicyActivation(v2, [heidiSig, ...sign(v2, "erin")], { previous: v1 }).activated,
      false,
    );
    assert.equal(verifyPolicyActivation(v2, sign(v2, "grace", "erin"), { previous: v1 }).activated, true);

    // From v2 on, grace's signature is ignored and heidi's counts.
    const v3 = successor(v2, (p) => (p.description = "v3"));
    const withGrace = verifyPolicyActivation(v3, sign(v3, "grace", "erin"), { previous: v2 });
    assert.equal(withGrace.activated, false);
    assert.match(withGrace.ignored[0]?.reason ?? "", /not in the activating quorum group/);
    const v3sigs = [signPolicyActivation(v3, heidi), ...sign(v3, "erin")];
    assert.equal(verifyPolicyActivation(v3, v3sigs, { previous: v2 }).activated, true);

    const chain = verifyPolicyChain(
      [
        { policy: v1, signatures: sign(v1, "erin", "frank") },
        { policy: v2, signatures: sign(v2, "grace", "erin") },
        { policy: v3, signatures: v3sigs },
      ],
      genesis,
    );
    assert.equal(chain.policy.version, 3);
    assert.equal(chain.policyHash, policyHash(v3));
  });

  it("a policy history with one unapproved version is refused at that version", () => {
    const v2 = successor(v1);
    assert.throws(
      () =>
        verifyPolicyChain(
          [
            { policy: v1, signatures: sign(v1, "erin", "frank") },
            { policy: v2, signatures: sign(v2, "erin") },
          ],
          genesis,
        ),
      (e: unknown) => e instanceof PolicyActivationError && /versions\[1\]: 1 of 2/.test(e.message),
    );
    assert.throws(() => verifyPolicyChain([], genesis), PolicyActivationError);
  });

  it("refuses an invalid document or genesis quorum outright", () => {
    assert.throws(
      () => verifyPolicyActivation({ ...v1, rules: "all" }, [], { genesis }),
      PolicyValidationError,
    );
    assert.throws(
      () => verifyPolicyActivation(v1, [], { genesis: { ...genesis, threshold: 4 } }),
      (e: unknown) => e instanceof PolicyValidationError && e.path === "genesis.threshold",
    );
  });

  it("rejects a signature over the right hash without the domain separator", () => {
    const raw = ed25519.sign(hexToBytes(policyHash(v1)), approverSecret("erin"));
    const sigs = [{ publicKey: approverPublic("erin"), signature: bytesToHex(raw) }, ...sign(v1, "frank")];
    assert.equal(verifyPolicyActivation(v1, sigs, { genesis }).activated, false);
  });
});
