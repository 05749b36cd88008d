/**
 * The main job's DEV ONLY software passkeys: created once with a private file, the same
 * credential on every load, and a signature counter that keeps growing across processes (a
 * WebAuthn server refuses one that does not). Malformed files are refused by name.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { base64urlnopad } from "@scure/base";
import { DevPasskey, DevPasskeyFileError } from "../../../../scripts/main-job/dev-passkeys.js";
import { verifyApprovalEvidence } from "../../../policy/src/webauthn-verify.js";
import { approvalChallenge } from "../../../policy/src/approval-challenge.js";

const RP = { origin: "http://localhost:3000", rpId: "localhost" };

/** The signature counter of an assertion's authenticator data (bytes 33..36, big-endian). */
function counterOf(authenticatorData: string): number {
  const bytes = base64urlnopad.decode(authenticatorData);
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(33);
}

describe("DEV ONLY software passkeys of the main job", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "coldpath-dev-passkeys-"));

  it("creates a private file once and answers with the same credential on every load", () => {
    const first = DevPasskey.load(dir, "dev-officer-1");
    const file = path.join(dir, "DEV-ONLY-dev-officer-1.passkey.json");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, "utf8"), /DEVELOPMENT ONLY/);
    const again = DevPasskey.load(dir, "dev-officer-1");
    assert.equal(again.credentialId, first.credentialId);
    assert.deepEqual(again.passkey(), first.passkey());
    assert.notEqual(DevPasskey.load(dir, "dev-officer-2").credentialId, first.credentialId);
  });

  it("keeps the signature counter growing across loads", () => {
    const a = DevPasskey.load(dir, "dev-officer-3");
    assert.equal(counterOf(a.assert("AAAA", RP).authenticatorData), 1);
    assert.equal(counterOf(a.assert("AAAA", RP).authenticatorData), 2);
    const b = DevPasskey.load(dir, "dev-officer-3");
    assert.equal(counterOf(b.assert("AAAA", RP).authenticatorData), 3);
  });

  it("signs approval challenges the policy verifier accepts with the listed key", () => {
    const passkey = DevPasskey.load(dir, "dev-officer-1");
    const input = {
      subject: { kind: "operation" as const, digest: "ab".repeat(32) },
      expiresAt: 4_000_000_000,
      nonce: "cd".repeat(16),
      approverId: "dev-officer-1",
    };
    const a = passkey.assert(approvalChallenge(input), RP);
    const evidence = {
      ...input,
      credentialId: passkey.credentialId,
      authenticatorData: a.authenticatorData,
      clientDataJSON: a.clientDataJSON,
      signature: a.signature,
    };
    const options = { publicKeyHex: passkey.passkey().publicKey, rpId: RP.rpId, origins: [RP.origin] };
    assert.deepEqual(verifyApprovalEvidence(evidence, options), { ok: true });
    const other = DevPasskey.load(dir, "dev-officer-2").passkey().publicKey;
    assert.equal(verifyApprovalEvidence(evidence, { ...options, publicKeyHex: other }).ok, false);
  });

  it("refuses malformed files and files of another approver, naming the file", () => {
    const cases: [string, string, RegExp][] = [
      ["bad-json", "{", /not JSON/],
      [
        "bad-owner",
        JSON.stringify({ approverId: "someone", seed: "00".repeat(32), signCount: 0 }),
        /not bad-owner's/,
      ],
      [
        "bad-seed",
        JSON.stringify({ approverId: "bad-seed", seed: "xyz", signCount: 0 }),
        /seed must be 64 hex/,
      ],
      [
        "bad-count",
        JSON.stringify({ approverId: "bad-count", seed: "00".repeat(32), signCount: -1 }),
        /signCount/,
      ],
    ];
    for (const [id, text, why] of cases) {
      const file = path.join(dir, `DEV-ONLY-${id}.passkey.json`);
      writeFileSync(file, text);
      assert.throws(
        () => DevPasskey.load(dir, id),
        (e: unknown) =>
          e instanceof DevPasskeyFileError &&
          e.code === "dev_passkey_file_invalid" &&
          why.test(e.message) &&
          e.file === file,
      );
      assert.equal(readFileSync(file, "utf8"), text, "a refused file is left as it was");
    }
  });
});
