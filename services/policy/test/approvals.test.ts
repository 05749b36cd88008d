import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { base64urlnopad } from "@scure/base";
import { verifyAuthenticationResponse, verifyRegistrationResponse } from "@simplewebauthn/server";
import {
  approvalChallenge,
  approvalChallengeBytes,
  countApprovals,
  describeOperation,
  operationPayloadDigest,
  validatePolicy,
  verifyApprovalEvidence,
} from "../src/index.js";
import type { ApprovalEvidence, OperationPayload, PolicyDocument, ApprovalInputError } from "../src/index.js";
import { SoftAuthenticator } from "../src/testing/soft-authenticator.js";
import { clone, examplePolicy } from "./helpers.js";

const RP = { rpId: "approvals.example.com", origins: ["https://approvals.example.com"] };
const ORIGIN = { origin: "https://approvals.example.com", rpId: "approvals.example.com" };
const NOW = 1_795_400_000;
const seed = (s: string): Uint8Array => sha256(utf8ToBytes(`soft authenticator ${s}`));

const payload: OperationPayload = {
  operationId: "0b6f4c1e-6a53-4d8e-9d1b-9a2f3c4d5e6f",
  customerId: "cust-0001",
  chain: "ethereum",
  chainId: "1",
  contract: "0x1111111111111111111111111111111111111111",
  action: "lock",
  asset: "mkr",
  args: {
    amount: { value: "12500000000000000000", unit: "wad" },
    chief: "0x0a3f6849f78076aefadf113f5bed87720274ddc0",
  },
};
const digest = operationPayloadDigest(payload);
const subject = { kind: "operation" as const, digest };
let nonceCounter = 0;
const nonce = (): string => bytesToHex(sha256(utf8ToBytes(`nonce ${nonceCounter++}`))).slice(0, 32);

function approve(
  auth: SoftAuthenticator,
  approverId: string,
  over: Partial<Parameters<SoftAuthenticator["approve"]>[0]> = {},
  opts = {},
): ApprovalEvidence {
  return auth.approve(
    { subject, expiresAt: NOW + 600, nonce: nonce(), approverId, ...over },
    { ...ORIGIN, ...opts },
  );
}

function tamper(b64: string, at: number): string {
  const bytes = base64urlnopad.decode(b64);
  bytes[at] = bytes[at]! ^ 0x01;
  return base64urlnopad.encode(bytes);
}

describe("approval challenge", () => {
  const input = { subject, expiresAt: NOW, nonce: "00".repeat(16), approverId: "alice" };
  it("is 32 bytes, deterministic, and changes with every bound field", () => {
    const base = approvalChallenge(input);
    assert.equal(approvalChallengeBytes(input).length, 32);
    assert.equal(approvalChallenge({ ...input }), base);
    const variants = [
      { ...input, subject: { kind: "policy" as const, digest } },
      { ...input, subject: { kind: "operation" as const, digest: "00".repeat(32) } },
      { ...input, expiresAt: NOW + 1 },
      { ...input, nonce: "01" + "00".repeat(15) },
      { ...input, approverId: "bob" },
    ];
    for (const v of variants) assert.notEqual(approvalChallenge(v), base);
  });
  it("refuses malformed inputs naming the field", () => {
    assert.throws(
      () => approvalChallenge({ ...input, nonce: "abc" }),
      (e: ApprovalInputError) => e.path === "nonce",
    );
    assert.throws(
      () => approvalChallenge({ ...input, subject: { kind: "policy", digest: "XY" } }),
      (e: ApprovalInputError) => e.path === "subject.digest",
    );
    assert.throws(
      () => approvalChallenge({ ...input, expiresAt: -1 }),
      (e: ApprovalInputError) => e.code === "APPROVAL_INPUT_INVALID" && e.path === "expiresAt",
    );
  });
});

describe("verifyApprovalEvidence", () => {
  const alice = new SoftAuthenticator(seed("alice"));
  const key = { publicKeyHex: alice.publicKeyHex, ...RP, now: NOW };
  const reason = (e: ApprovalEvidence, opts = key): string => {
    const r = verifyApprovalEvidence(e, opts);
    return r.ok ? "ok" : r.reason;
  };

  it("accepts an assertion made over the recomputed challenge", () => {
    assert.equal(reason(approve(alice, "alice")), "ok");
  });
  it("accepts high-S signatures (authenticators emit them)", () => {
    const e = approve(alice, "alice", {}, { highS: true });
    assert.equal(reason(e), "ok");
  });
  it("refuses tampered authenticatorData, clientDataJSON and signature", () => {
    const e = approve(alice, "alice");
    assert.equal(reason({ ...e, authenticatorData: tamper(e.authenticatorData, 34) }), "BAD_SIGNATURE");
    assert.equal(reason({ ...e, authenticatorData: tamper(e.authenticatorData, 3) }), "RP_ID_MISMATCH");
    const cd = JSON.parse(new TextDecoder().decode(base64urlnopad.decode(e.clientDataJSON))) as Record<
      string,
      unknown
    >;
    const reordered = base64urlnopad.encode(
      utf8ToBytes(JSON.stringify({ challenge: cd.challenge, type: cd.type, origin: cd.origin })),
    );
    assert.equal(reason({ ...e, clientDataJSON: reordered }), "BAD_SIGNATURE");
    assert.equal(reason({ ...e, signature: tamper(e.signature, 10) }), "BAD_SIGNATURE");
    assert.equal(reason({ ...e, signature: "!!" }), "MALFORMED");
  });
  it("refuses evidence whose bound fields were edited after signing", () => {
    const e = approve(alice, "alice");
    assert.equal(reason({ ...e, expiresAt: e.expiresAt + 3600 }), "CHALLENGE_MISMATCH");
    assert.equal(reason({ ...e, nonce: "ff".repeat(16) }), "CHALLENGE_MISMATCH");
    assert.equal(reason({ ...e, approverId: "bob" }), "CHALLENGE_MISMATCH");
    assert.equal(
      reason({ ...e, subject: { kind: "operation", digest: "00".repeat(32) } }),
      "CHALLENGE_MISMATCH",
    );
  });
  it("refuses a wrong origin, a wrong rpId, cross-origin frames and create-type client data", () => {
    assert.equal(
      reason(approve(alice, "alice", {}, { origin: "https://evil.example.com" })),
      "ORIGIN_NOT_ALLOWED",
    );
    assert.equal(reason(approve(alice, "alice", {}, { rpId: "evil.example.com" })), "RP_ID_MISMATCH");
    assert.equal(reason(approve(alice, "alice", {}, { crossOrigin: true })), "CROSS_ORIGIN");
    assert.equal(reason(approve(alice, "alice", {}, { type: "webauthn.create" })), "CLIENT_DATA_TYPE");
  });
  it("refuses assertions without user presence or user verification", () => {
    assert.equal(reason(approve(alice, "alice", {}, { userPresent: false })), "USER_NOT_PRESENT");
    assert.equal(reason(approve(alice, "alice", {}, { userVerified: false })), "USER_NOT_VERIFIED");
  });
  it("refuses expired approvals: boundary at expiresAt", () => {
    const e = approve(alice, "alice", { expiresAt: NOW + 10 });
    assert.equal(reason(e, { ...key, now: NOW + 9 }), "ok");
    assert.equal(reason(e, { ...key, now: NOW + 10 }), "EXPIRED");
    assert.equal(reason(e, { ...key, now: NOW + 11 }), "EXPIRED");
  });
  it("refuses another passkey's public key", () => {
    const mallory = new SoftAuthenticator(seed("mallory"));
    assert.equal(reason(approve(mallory, "alice")), "BAD_SIGNATURE");
  });
  it("produces assertions and registrations that @simplewebauthn/server accepts", async () => {
    const challenge = approvalChallenge({ subject, expiresAt: NOW, nonce: nonce(), approverId: "alice" });
    const a = alice.assert(challenge, ORIGIN);
    const reg = alice.register(challenge, ORIGIN);
    const r = await verifyRegistrationResponse({
      response: reg,
      expectedChallenge: challenge,
      expectedOrigin: ORIGIN.origin,
      expectedRPID: ORIGIN.rpId,
    });
    assert.equal(r.verified, true);
    assert.equal(r.registrationInfo?.credential.id, alice.credentialId);
    const v = await verifyAuthenticationResponse({
      response: {
        id: alice.credentialId,
        rawId: alice.credentialId,
        type: "public-key",
        clientExtensionResults: {},
        response: {
          authenticatorData: a.authenticatorData,
          clientDataJSON: a.clientDataJSON,
          signature: a.signature,
        },
      },
      expectedChallenge: challenge,
      expectedOrigin: ORIGIN.origin,
      expectedRPID: ORIGIN.rpId,
      credential: { id: alice.credentialId, publicKey: r.registrationInfo!.credential.publicKey, counter: 0 },
      requireUserVerification: true,
    });
    assert.equal(v.verified, true);
  });
});

describe("countApprovals", () => {
  const auth = Object.fromEntries(
    ["alice", "bob", "carol", "dave"].map((id) => [id, new SoftAuthenticator(seed(id))]),
  );
  const aliceSecond = new SoftAuthenticator(seed("alice second device"));
  const policy: PolicyDocument = (() => {
    const p = clone(examplePolicy());
    for (const a of p.approverGroups["ops-approvers"]!.approvers) {
      a.passkeys = [auth[a.id]!.passkey()];
      if (a.id === "alice") a.passkeys.push(aliceSecond.passkey());
    }
    return validatePolicy(p);
  })();
  const opts = {
    policy,
    group: "ops-approvers",
    threshold: 2,
    requesterId: "dave",
    subject,
    now: NOW,
    ...RP,
  };

  it("reaches the threshold with two distinct approvers", () => {
    const r = countApprovals([approve(auth.alice!, "alice"), approve(auth.bob!, "bob")], opts);
    assert.deepEqual([r.count, r.reached, r.approvedBy], [2, true, ["alice", "bob"]]);
  });
  it("counts one approver once, whatever the credential", () => {
    const r = countApprovals([approve(auth.alice!, "alice"), approve(aliceSecond, "alice")], opts);
    assert.equal(r.count, 1);
    assert.equal(r.reached, false);
    assert.equal(r.rejected[0]?.reason, "DUPLICATE_APPROVER");
  });
  it("refuses self-approval by the requester", () => {
    const r = countApprovals([approve(auth.dave!, "dave"), approve(auth.bob!, "bob")], opts);
    assert.equal(r.count, 1);
    assert.equal(r.rejected[0]?.reason, "SELF_APPROVAL");
  });
  it("refuses a replayed nonce", () => {
    const e = approve(auth.bob!, "bob");
    const r = countApprovals([e, e], opts);
    assert.equal(r.count, 1);
    assert.equal(r.rejected[0]?.reason, "REPLAYED_NONCE");
  });
  it("refuses approvals for another operation, expired ones, and strangers", () => {
    const other = {
      kind: "operation" as const,
      digest: operationPayloadDigest({ ...payload, operationId: "other-op" }),
    };
    const stranger = new SoftAuthenticator(seed("stranger"));
    const r = countApprovals(
      [
        approve(auth.alice!, "alice", { subject: other }),
        approve(auth.bob!, "bob", { expiresAt: NOW }),
        approve(stranger, "mallory"),
        approve(stranger, "carol"),
      ],
      opts,
    );
    assert.equal(r.count, 0);
    assert.deepEqual(
      r.rejected.map((x) => x.reason),
      ["WRONG_SUBJECT", "EXPIRED", "NOT_IN_GROUP", "UNKNOWN_CREDENTIAL"],
    );
  });
  it("refuses members of another group", () => {
    const r = countApprovals([approve(auth.alice!, "alice")], { ...opts, group: "custody-officers" });
    assert.equal(r.rejected[0]?.reason, "NOT_IN_GROUP");
  });
});

describe("operation payload", () => {
  it("describes chain, contract, action, amount with units and the chief", () => {
    assert.deepEqual(describeOperation(payload), [
      "Chain: Ethereum (chain id 1)",
      "Contract: 0x1111111111111111111111111111111111111111",
      "Action: lock (lock tokens in the chief (voting weight))",
      "Amount: 12.5 MKR (12500000000000000000 wad)",
      "Chief: 0x0a3f6849f78076aefadf113f5bed87720274ddc0",
      "Customer: cust-0001",
      "Operation: 0b6f4c1e-6a53-4d8e-9d1b-9a2f3c4d5e6f",
    ]);
  });
  it("describes votes, SKY amounts, tez and bakers", () => {
    const lines = describeOperation({
      ...payload,
      action: "vote",
      args: { candidates: ["0xaa00000000000000000000000000000000000001"] },
    });
    assert.ok(lines.includes("Candidates (1): 0xaa00000000000000000000000000000000000001"));
    assert.ok(
      describeOperation({
        ...payload,
        asset: "sky",
        args: { amount: { value: "1000000000000000000000", unit: "wad" } },
      }).includes("Amount: 1,000 SKY (1000000000000000000000 wad)"),
    );
    const tz = describeOperation({
      ...payload,
      chain: "tezos",
      chainId: "NetXdQprcVkpaWU",
      contract: "KT1PWx2mnDueood7fEmfbBDKx1D9BAnnXitn",
      action: "delegate",
      asset: "xtz",
      args: { baker: "tz1VAwHF9ygWsGATtQDLZtjyUQbFc8pfiMjF" },
    });
    assert.equal(tz[0], "Chain: Tezos (chain id NetXdQprcVkpaWU)");
    assert.ok(tz.includes("Baker: tz1VAwHF9ygWsGATtQDLZtjyUQbFc8pfiMjF"));
    assert.ok(
      describeOperation({
        ...payload,
        chain: "tezos",
        asset: "xtz",
        action: "withdrawal-preparation",
        args: { amount: { value: "1500001", unit: "mutez" } },
      }).includes("Amount: 1.500001 ꜩ (1500001 mutez)"),
    );
  });
  it("has a digest that depends on every field and not on key order", () => {
    const reordered = JSON.parse(
      JSON.stringify(Object.fromEntries(Object.entries(payload).reverse())),
    ) as OperationPayload;
    assert.equal(operationPayloadDigest(reordered), digest);
    assert.notEqual(operationPayloadDigest({ ...payload, chainId: "5" }), digest);
    assert.notEqual(
      operationPayloadDigest({
        ...payload,
        args: { ...payload.args, amount: { value: "12500000000000000001", unit: "wad" } },
      }),
      digest,
    );
  });
  it("refuses malformed payloads naming the field", () => {
    assert.throws(
      () => operationPayloadDigest({ ...payload, args: { amount: { value: "1.5", unit: "wad" } } }),
      (e: ApprovalInputError) => e.path === "args.amount.value",
    );
    assert.throws(
      () => operationPayloadDigest({ ...payload, extra: 1 }),
      (e: ApprovalInputError) => e.path === "extra",
    );
  });
});
