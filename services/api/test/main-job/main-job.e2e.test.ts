/**
 * The main job end to end, as a user runs it: `scripts/start-all.ts` on free ports with its state
 * in a temporary folder, then `scripts/demo.ts` against it over HTTP, then a clean stop. Checks the
 * demo's final state (read from the chains), that policy is enforced in the API and the signer
 * (the dev policy is active, operations waited in `pending_approval` and carry two approvers'
 * passkey evidence, which the API serves and the policy verifier accepts), the OpenAPI page, a
 * clear refusal when a port is busy, and that SIGTERM leaves no process behind.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PolicyDocument } from "../../../policy/src/schema.js";
import { verifyApprovalEvidence, type ApprovalEvidence } from "../../../policy/src/webauthn-verify.js";
import { freePorts, runScript, type Spawned } from "./helpers.js";

describe("the main job: npm start, then npm run demo", () => {
  let home: string;
  let env: Record<string, string>;
  let started: Spawned;

  before(async () => {
    home = mkdtempSync(path.join(tmpdir(), "coldpath-main-job-"));
    const [api, signer, evm, tezos] = await freePorts(4);
    env = {
      COLDPATH_HOME: home,
      PORT: String(api),
      SIGNER_PORT: String(signer),
      EVM_PORT: String(evm),
      TEZOS_PORT: String(tezos),
    };
    started = runScript("scripts/start-all.ts", env);
    await started.waitFor(/^Coldpath is running/, 80_000);
  });
  after(async () => {
    if (started.child.exitCode === null) {
      started.child.kill("SIGTERM");
      await started.exited;
    }
    rmSync(home, { recursive: true, force: true });
  });

  it("prints where everything is and serves the OpenAPI page", async () => {
    const out = started.output();
    assert.match(
      out,
      new RegExp(
        `custody API\\s+http://127.0.0.1:${env["PORT"]}\\s+OpenAPI: http://127.0.0.1:${env["PORT"]}/docs`,
      ),
    );
    assert.match(out, /WARNING: the hot keys are sealed with the built-in DEVELOPMENT passphrase/);
    const docs = await fetch(`http://127.0.0.1:${env["PORT"]}/docs-json`);
    assert.equal(docs.status, 200);
    const spec = (await docs.json()) as { paths: Record<string, unknown> };
    assert.ok(spec.paths["/v1/customers/{id}/events"], "the events route is documented");
  });

  it("runs with policy enforcement on: the dev policy lists the dev approvers' passkeys", async () => {
    const out = started.output();
    assert.doesNotMatch(out, /policy enforcement OFF|NOT ENFORCED/);
    assert.match(out, /policy\s+enforced; DEV ONLY approvers dev-officer-1, dev-officer-2, dev-officer-3/);
    assert.equal((out.match(/DEV ONLY: registered the software passkey of/g) ?? []).length, 3, out);
    const admin = readFileSync(path.join(home, "api-key"), "utf8").trim();
    const res = await fetch(`http://127.0.0.1:${env["PORT"]}/v1/approvers/passkeys`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    const { items } = (await res.json()) as { items: { approverId: string; status: string }[] };
    assert.deepEqual(items.map((p) => `${p.approverId}:${p.status}`).sort(), [
      "dev-officer-1:active",
      "dev-officer-2:active",
      "dev-officer-3:active",
    ]);
  });

  it("refuses to start a second copy on busy ports, naming the port", async () => {
    const second = runScript("scripts/start-all.ts", { ...env, COLDPATH_HOME: path.join(home, "second") });
    assert.equal(await second.exited, 2);
    assert.match(
      second.output(),
      new RegExp(`port ${env["PORT"]} \\(custody API\\) is already in use.*PORT=<port>`),
    );
  });

  it("refuses a COLDPATH_DEV_POLICY that is neither on nor off, before starting anything", async () => {
    const wrong = runScript("scripts/start-all.ts", {
      ...env,
      COLDPATH_HOME: path.join(home, "third"),
      COLDPATH_DEV_POLICY: "maybe",
    });
    assert.equal(await wrong.exited, 2);
    assert.match(wrong.output(), /COLDPATH_DEV_POLICY must be on or off, got "maybe"/);
  });

  it("runs the demo to completion and the chains show what was asked", async () => {
    const demo = runScript("scripts/demo.ts", { COLDPATH_HOME: home });
    const code = await demo.exited;
    assert.equal(code, 0, demo.output());
    const line = demo
      .output()
      .split("\n")
      .find((l) => l.startsWith("DEMO_RESULT "));
    assert.ok(line, demo.output());
    const state = JSON.parse(line.slice("DEMO_RESULT ".length)) as {
      ethereum: Record<string, unknown>;
      tezos: Record<string, unknown>;
      approved: { operationId: string; kind: string; approvedBy: string[]; digest: string }[];
      routine: { operationId: string; kind: string }[];
    };
    assert.equal(state.ethereum["isProxy"], true);
    assert.equal(state.ethereum["lockedInChief"], (60n * 10n ** 18n).toString());
    assert.equal(state.ethereum["heldByCold"], (40n * 10n ** 18n).toString());
    assert.equal(state.ethereum["slateMatchesVote"], true);
    assert.equal((state.ethereum["candidates"] as string[]).length, 2);
    assert.match(String(state.tezos["contract"]), /^KT1/);
    assert.match(String(state.tezos["delegate"]), /^tz1/);
    for (const n of [2, 4, 5, 6, 7, 8]) assert.match(demo.output(), new RegExp(`\\n${n}\\. `));
    assert.match(demo.output(), /: confirmed/);

    // Originations always need two people under the example policy: both went through approvals.
    assert.ok(state.approved.length >= 2, demo.output());
    assert.match(demo.output(), /operation [0-9a-f-]+: pending_approval/);
    assert.match(demo.output(), /Digest signed by the passkeys: [0-9a-f]{64}/);
    assert.match(demo.output(), /routine under the example policy: approved automatically/);
    const operator = readFileSync(path.join(home, "operator-key"), "utf8").trim();
    const admin = readFileSync(path.join(home, "api-key"), "utf8").trim();
    const policy = (await (
      await fetch(`http://127.0.0.1:${env["PORT"]}/v1/policies/active`, {
        headers: { authorization: `Bearer ${admin}` },
      })
    ).json()) as { document: PolicyDocument };
    for (const a of state.approved) {
      assert.equal(new Set(a.approvedBy).size, 2, `${a.kind} approved by two different approvers`);
      const op = (await (
        await fetch(`http://127.0.0.1:${env["PORT"]}/v1/operations/${a.operationId}`, {
          headers: { authorization: `Bearer ${operator}` },
        })
      ).json()) as { status: string };
      assert.equal(op.status, "confirmed");
      // The evidence the signer re-checked, verified here once more with the policy's verifier.
      const evidence = (await (
        await fetch(`http://127.0.0.1:${env["PORT"]}/v1/approvals/operation/${a.operationId}/evidence`, {
          headers: { authorization: `Bearer ${operator}` },
        })
      ).json()) as { items: ApprovalEvidence[] };
      assert.deepEqual(evidence.items.map((e) => e.approverId).sort(), [...a.approvedBy].sort());
      for (const e of evidence.items) {
        assert.equal(e.subject.digest, a.digest);
        const passkey = policy.document.approverGroups["ops-approvers"]!.approvers.find(
          (p) => p.id === e.approverId,
        )!.passkeys!.find((p) => p.credentialId === e.credentialId)!;
        const verdict = verifyApprovalEvidence(e, {
          publicKeyHex: passkey.publicKey,
          rpId: policy.document.webauthn!.rpId,
          origins: policy.document.webauthn!.origins,
        });
        assert.deepEqual(verdict, { ok: true });
      }
    }
    assert.ok(state.routine.length >= 1, "some action was routine under the example policy");
  });

  it("stops every process on SIGTERM", async () => {
    const pids = [...started.output().matchAll(/ pid (\d+)/g)].map((m) => Number(m[1]));
    assert.equal(pids.length, 4, started.output());
    started.child.kill("SIGTERM");
    assert.equal(await started.exited, 0);
    assert.match(started.output(), /stopped\./);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), `process ${pid} is still running`);
  });
});
