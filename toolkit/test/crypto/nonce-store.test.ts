import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ed25519 } from "@noble/curves/ed25519.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { IntegrityError, RefusedError } from "../../src/errors.js";
import type { FrostPublicPackage } from "../../src/crypto/index.js";
import {
  NonceStore,
  aggregate,
  deterministicRng,
  ed25519Group as G,
  messageDigest,
  parseAccessStructure,
  splitSecret,
} from "../../src/crypto/index.js";

const root = mkdtempSync(join(tmpdir(), "coldpath-nonce-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `store-${n++}`);

const structure = parseAccessStructure({ threshold: 2, of: ["alice", "bob", "carol"] });
const rng = deterministicRng("nonce-store");
const dealt = splitSecret(G, G.randomScalar(rng), structure, rng);
const pkg: FrostPublicPackage = { structure, commitments: dealt.commitments };
const alice = dealt.shares.get("alice")!;
const bob = dealt.shares.get("bob")!;
const msg = utf8ToBytes("transfer 1 tez to tz1...");
const sessionId = "sess-42";
const binding = { messageDigest: messageDigest(msg), sessionId };

const refusedWith = (code: string) => (e: unknown) => e instanceof RefusedError && e.code === code;

/** Round 1 for alice (from a store) and bob (another store). */
function roundOne(aliceDir: string, bobDir: string) {
  const sa = NonceStore.open(aliceDir, pkg, "alice");
  const sb = NonceStore.open(bobDir, pkg, "bob");
  const ca = sa.createNonce(alice, binding, rng);
  const cb = sb.createNonce(bob, binding, rng);
  return { sa, sb, ca, cb, list: [ca.commitment, cb.commitment] };
}

describe("NonceStore", () => {
  it("signs once with a stored nonce; the aggregate verifies", () => {
    const { sa, sb, ca, cb, list } = roundOne(freshDir(), freshDir());
    const za = sa.sign(alice, ca.nonceId, list, msg, sessionId);
    const zb = sb.sign(bob, cb.nonceId, list, msg, sessionId);
    const sig = aggregate(pkg, list, msg, [za.share, zb.share]);
    assert.equal(ed25519.verify(sig, msg, dealt.publicKey, { zip215: false }), true);
    assert.deepEqual(sa.pendingNonceIds(), []);
    assert.equal(za.logSeq, 2);
  });

  it("refuses the same nonce twice, even from a fresh process (state lost)", () => {
    const dir = freshDir();
    const { sa, ca, list } = roundOne(dir, freshDir());
    sa.sign(alice, ca.nonceId, list, msg, sessionId);
    const reopened = NonceStore.open(dir, pkg, "alice");
    assert.throws(() => reopened.sign(alice, ca.nonceId, list, msg, sessionId), refusedWith("NONCE_REUSED"));
  });

  it("after a crash between logging consumption and releasing the share, the nonce stays dead", () => {
    const dir = freshDir();
    const { ca, list } = roundOne(dir, freshDir());
    const crashing = NonceStore.open(dir, pkg, "alice", {
      afterConsumeLogged() {
        throw new Error("simulated power cut");
      },
    });
    assert.throws(() => crashing.sign(alice, ca.nonceId, list, msg, sessionId), /simulated power cut/);
    // The state file still holds the nonce, but the log says consumed: it is cleaned up and refused.
    assert.match(readFileSync(join(dir, "nonces.json"), "utf8"), new RegExp(ca.nonceId));
    const after = NonceStore.open(dir, pkg, "alice");
    assert.deepEqual(after.pendingNonceIds(), []);
    assert.throws(() => after.sign(alice, ca.nonceId, list, msg, sessionId), refusedWith("NONCE_REUSED"));
  });

  it("a crash right after issuing leaves a nonce that was never published unusable by mistake", () => {
    const dir = freshDir();
    const s = NonceStore.open(dir, pkg, "alice", {
      afterIssueLogged() {
        throw new Error("crash");
      },
    });
    assert.throws(() => s.createNonce(alice, binding, rng), /crash/);
    const again = NonceStore.open(dir, pkg, "alice");
    assert.deepEqual(again.pendingNonceIds(), []);
    const c = again.createNonce(alice, binding, rng);
    assert.equal(c.counter, 2, "the counter never goes back");
  });

  it("refuses to sign after the whole store is restored from an older backup", () => {
    const dir = freshDir();
    const backup = freshDir();
    const { sa, ca, list } = roundOne(dir, freshDir());
    cpSync(dir, backup, { recursive: true }); // backup taken after round 1, before round 2
    const released = sa.sign(alice, ca.nonceId, list, msg, sessionId);
    rmSync(dir, { recursive: true });
    cpSync(backup, dir, { recursive: true }); // operator restores the old copy
    const restored = NonceStore.open(dir, pkg, "alice");
    // The transcript recorded the log position alice reported with her share.
    assert.throws(
      () => restored.sign(alice, ca.nonceId, list, msg, sessionId, { seenLogSeq: released.logSeq }),
      refusedWith("NONCE_STORE_ROLLBACK"),
    );
    // Or: the coordinator knows the commitment was already used in a signature share.
    assert.throws(
      () => restored.sign(alice, ca.nonceId, list, msg, sessionId, { usedNonceIds: [ca.nonceId] }),
      refusedWith("NONCE_REUSED"),
    );
  });

  it("refuses a restored store that was extended past the reported position (forked log)", () => {
    const dir = freshDir();
    const backup = freshDir();
    const { sa, ca, list } = roundOne(dir, freshDir());
    cpSync(dir, backup, { recursive: true });
    const released = sa.sign(alice, ca.nonceId, list, msg, sessionId);
    rmSync(dir, { recursive: true });
    cpSync(backup, dir, { recursive: true });
    const restored = NonceStore.open(dir, pkg, "alice");
    // New round-1 nonces push the restored log past the position alice reported...
    restored.createNonce(alice, binding, rng);
    restored.createNonce(alice, binding, rng);
    assert.ok(restored.logSeq > released.logSeq);
    // ...but the entry at that position is not the one she reported.
    assert.throws(
      () =>
        restored.sign(alice, ca.nonceId, list, msg, sessionId, {
          seenLogSeq: released.logSeq,
          seenLogHead: released.logHead,
        }),
      refusedWith("NONCE_STORE_ROLLBACK"),
    );
  });

  it("accepts honest evidence from earlier rounds", () => {
    const dir = freshDir();
    const { sa, ca, list } = roundOne(dir, freshDir());
    const first = sa.sign(alice, ca.nonceId, list, msg, sessionId);
    const c2 = sa.createNonce(alice, binding, rng);
    const sb2 = NonceStore.open(freshDir(), pkg, "bob").createNonce(bob, binding, rng);
    const z = sa.sign(alice, c2.nonceId, [c2.commitment, sb2.commitment], msg, sessionId, {
      seenLogSeq: first.logSeq,
      seenLogHead: first.logHead,
      seenCounter: ca.counter,
      usedNonceIds: [ca.nonceId],
    });
    assert.equal(z.logSeq, 4);
  });

  it("refuses when only the log is rolled back behind the state", () => {
    const dir = freshDir();
    const { sa, ca, list } = roundOne(dir, freshDir());
    const oldLog = readFileSync(join(dir, "log.jsonl"), "utf8");
    sa.sign(alice, ca.nonceId, list, msg, sessionId);
    writeFileSync(join(dir, "log.jsonl"), oldLog);
    assert.throws(() => NonceStore.open(dir, pkg, "alice"), refusedWith("NONCE_STORE_ROLLBACK"));
  });

  it("refuses a request citing a nonce counter above the store's high-water mark", () => {
    const { sa, ca, list } = roundOne(freshDir(), freshDir());
    assert.throws(
      () => sa.sign(alice, ca.nonceId, list, msg, sessionId, { seenCounter: ca.counter + 1 }),
      refusedWith("NONCE_STORE_ROLLBACK"),
    );
  });

  it("refuses a different message or session without burning the nonce", () => {
    const { sa, ca, list } = roundOne(freshDir(), freshDir());
    assert.throws(
      () => sa.sign(alice, ca.nonceId, list, utf8ToBytes("other"), sessionId),
      refusedWith("MESSAGE_MISMATCH"),
    );
    assert.throws(() => sa.sign(alice, ca.nonceId, list, msg, "other"), refusedWith("SESSION_MISMATCH"));
    assert.deepEqual(sa.pendingNonceIds(), [ca.nonceId]);
  });

  it("does not burn the nonce for an unqualified or malformed commitment list", () => {
    const { sa, ca } = roundOne(freshDir(), freshDir());
    assert.throws(() => sa.sign(alice, ca.nonceId, [ca.commitment], msg, sessionId), /not qualified/);
    assert.deepEqual(sa.pendingNonceIds(), [ca.nonceId]);
    assert.equal(sa.logSeq, 1);
  });

  it("refuses a commitment list without the party's own commitment", () => {
    const { sa, ca, cb } = roundOne(freshDir(), freshDir());
    const other = NonceStore.open(freshDir(), pkg, "alice").createNonce(alice, binding, rng);
    assert.throws(
      () => sa.sign(alice, ca.nonceId, [other.commitment, cb.commitment], msg, sessionId),
      refusedWith("COMMITMENT_MISMATCH"),
    );
  });

  it("keeps nonces sealed on disk and detects a broken log chain", () => {
    const dir = freshDir();
    const { ca } = roundOne(dir, freshDir());
    const state = readFileSync(join(dir, "nonces.json"), "utf8");
    assert.doesNotMatch(state, /"hiding":"[0-9a-f]{64}","binding"/);
    assert.match(state, new RegExp(ca.nonceId));
    const log = readFileSync(join(dir, "log.jsonl"), "utf8").replace('"issued"', '"consumed"');
    writeFileSync(join(dir, "log.jsonl"), log);
    assert.throws(() => NonceStore.open(dir, pkg, "alice"), IntegrityError);
  });

  it("drops a torn final log line left by a crash mid-append", () => {
    const dir = freshDir();
    const { ca, list } = roundOne(dir, freshDir());
    appendFileSync(join(dir, "log.jsonl"), '{"seq":2,"type":"cons');
    const s = NonceStore.open(dir, pkg, "alice");
    assert.equal(s.logSeq, 1);
    s.sign(alice, ca.nonceId, list, msg, sessionId);
    assert.equal(NonceStore.open(dir, pkg, "alice").logSeq, 2);
  });

  it("discarded nonces can never sign", () => {
    const { sa, ca, list } = roundOne(freshDir(), freshDir());
    sa.discard(ca.nonceId);
    assert.throws(() => sa.sign(alice, ca.nonceId, list, msg, sessionId), refusedWith("NONCE_REUSED"));
  });
});
