import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openDatabase, type Database } from "../../../db/src/database.js";
import { AuditRepository } from "../../../db/src/repositories.js";
import { postgresSkipReason, startPostgres } from "../../../db/test/postgres.js";
import { policyHash, signPolicyActivation } from "../../../policy/src/index.js";
import { main } from "../../../../scripts/audit-verify.js";
import { GENESIS, examplePolicy, secretOf, startPolicyApp, successor } from "./fixtures.js";

const repo = new AuditRepository();
const tmp = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix));

async function fill(database: Database, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    await database.db.transaction((tx) =>
      repo.append(
        tx,
        { actor: "test", action: `thing.${i}`, payload: { i, note: `row ${i}` } },
        new Date(Date.UTC(2026, 10, 25, 12, 0, i)),
      ),
    );
  }
}
// What an attacker with the database's superuser does: switch the append-only trigger off.
const tamper = (sqlText: string) =>
  `set session_replication_role = replica; ${sqlText}; set session_replication_role = origin;`;

interface Verdict {
  ok: boolean;
  audit?: { ok: boolean; firstBadSeq?: number; reason?: string; rows: number; headHash?: string };
  policies?: { ok: boolean; firstBadVersion?: number; activeHash: string | null };
}
const run = async (...argv: string[]): Promise<{ code: number; v: Verdict }> => {
  const { code, output } = await main(argv, {});
  return { code, v: output as Verdict };
};

describe("npm run audit:verify on a PGlite directory", () => {
  let dir = "";
  let database: Database;
  let head = "";

  before(async () => {
    dir = path.join(tmp("coldpath-audit-"), "pglite");
    database = await openDatabase({ kind: "pglite", dataDir: dir });
    await fill(database, 6);
    await database.close();
  });

  const reopenAnd = async (sqlText: string): Promise<void> => {
    database = await openDatabase({ kind: "pglite", dataDir: dir });
    try {
      await database.exec(tamper(sqlText));
    } finally {
      await database.close();
    }
  };

  it("verifies an intact chain and exports it", async () => {
    const out = path.join(tmp("coldpath-audit-out-"), "export.json");
    const { code, v } = await run("--pglite", dir, "--export", out);
    assert.equal(code, 0, JSON.stringify(v));
    assert.equal(v.audit?.rows, 6);
    head = v.audit!.headHash!;
    assert.equal((await run("--file", out)).code, 0);
    const file = JSON.parse(readFileSync(out, "utf8")) as { rows: { payload: { note: string } }[] };
    file.rows[1]!.payload.note = "edited in the file";
    writeFileSync(out, JSON.stringify(file));
    const bad = await run("--file", out);
    assert.deepEqual([bad.code, bad.v.audit?.firstBadSeq, bad.v.audit?.reason], [1, 2, "hash_mismatch"]);
  });

  it("names the first altered row", async () => {
    await reopenAnd(`update audit_log set payload = '{"i":4,"note":"rewritten"}' where seq = 4`);
    const { code, v } = await run("--pglite", dir);
    assert.deepEqual([code, v.audit?.firstBadSeq, v.audit?.reason], [1, 4, "hash_mismatch"]);
    await reopenAnd(`update audit_log set payload = '{"i":4,"note":"row 4"}' where seq = 4`);
    assert.equal((await run("--pglite", dir)).code, 0);
  });

  it("names the first row after a deleted one", async () => {
    database = await openDatabase({ kind: "pglite", dataDir: dir });
    const saved = (await database.db.execute("select * from audit_log where seq = 3")) as unknown as {
      rows: Record<string, unknown>[];
    };
    await database.exec(tamper("delete from audit_log where seq = 3"));
    await database.close();
    const { code, v } = await run("--pglite", dir);
    assert.deepEqual([code, v.audit?.firstBadSeq, v.audit?.reason], [1, 4, "seq_gap"]);
    // Renumbering the rest to hide the gap breaks the link instead.
    await reopenAnd(
      "update audit_log set seq = seq + 1000 where seq > 3; update audit_log set seq = seq - 1001 where seq > 1000",
    );
    const renumbered = await run("--pglite", dir);
    assert.deepEqual(
      [renumbered.v.audit?.firstBadSeq, renumbered.v.audit?.reason],
      [3, "prev_hash_mismatch"],
    );
    await reopenAnd(
      "update audit_log set seq = seq + 1000 where seq >= 3; update audit_log set seq = seq - 999 where seq > 1000",
    );
    const r = saved.rows[0]!;
    await reopenAnd(
      `insert into audit_log (seq, at, actor, action, payload, prev_hash, hash) values (3, '${new Date(r.at as string).toISOString()}', '${String(r.actor)}', '${String(r.action)}', '${JSON.stringify(r.payload)}', '${String(r.prev_hash)}', '${String(r.hash)}')`,
    );
    assert.equal((await run("--pglite", dir)).code, 0);
  });

  it("names the first of two reordered rows", async () => {
    await reopenAnd(
      "update audit_log set seq = 100 where seq = 2; update audit_log set seq = 2 where seq = 5; update audit_log set seq = 5 where seq = 100",
    );
    const { code, v } = await run("--pglite", dir);
    assert.deepEqual([code, v.audit?.firstBadSeq, v.audit?.reason], [1, 2, "prev_hash_mismatch"]);
    await reopenAnd(
      "update audit_log set seq = 100 where seq = 2; update audit_log set seq = 2 where seq = 5; update audit_log set seq = 5 where seq = 100",
    );
  });

  it("detects a deleted tail only against a head recorded elsewhere", async () => {
    await reopenAnd("delete from audit_log where seq = 6");
    assert.equal((await run("--pglite", dir)).code, 0, "a shorter chain is internally consistent");
    const { code, v } = await run("--pglite", dir, "--expect-head", head);
    assert.deepEqual([code, v.audit?.reason, v.audit?.firstBadSeq], [1, "head_mismatch", 6]);
  });

  it("answers usage errors with exit code 2", async () => {
    assert.equal((await run()).code, 2);
    assert.equal((await run("--bogus", "x")).code, 2);
    assert.equal((await run("--file", "/nonexistent/file.json")).code, 2);
  });
});

describe("npm run audit:verify on PostgreSQL", { skip: postgresSkipReason() }, () => {
  it("reads the chain read-only and names a tampered row", async () => {
    const server = await startPostgres();
    try {
      const database = await openDatabase({ kind: "postgres", url: server.url });
      await fill(database, 4);
      assert.equal((await run("--database-url", server.url)).code, 0);
      await database.exec(tamper("update audit_log set actor = 'mallory' where seq = 2"));
      const { code, v } = await run("--database-url", server.url);
      assert.deepEqual([code, v.audit?.firstBadSeq], [1, 2]);
      await database.close();
    } finally {
      await server.stop();
    }
  });
});

describe("the auditor's API export and the policy history", () => {
  let database: Database;
  let t: Awaited<ReturnType<typeof startPolicyApp>>;
  before(async () => {
    database = await openDatabase({ kind: "pglite", dataDir: "memory://" });
    t = await startPolicyApp(database);
  });
  after(async () => {
    await t.close();
    await database.close();
  });

  it("GET /v1/audit/export answers every row with its verdict, re-verifiable offline", async () => {
    const v1 = examplePolicy();
    await t.call("POST", "/v1/policies", "admin", { document: v1 });
    assert.equal((await t.call("GET", "/v1/audit/export", "operator")).status, 403);
    const exp = (await t.call("GET", "/v1/audit/export", "auditor")).json;
    assert.equal(exp.verdict.ok, true);
    assert.ok(exp.rows.some((r: { action: string }) => r.action === "policy.proposed"));
    const file = path.join(tmp("coldpath-api-export-"), "audit.json");
    writeFileSync(file, JSON.stringify(exp));
    assert.equal((await run("--file", file)).code, 0);
  });

  it("verifies an exported policy history against a pinned genesis, naming a forged version", async () => {
    const v1 = examplePolicy();
    const hash = policyHash(v1);
    for (const id of ["erin", "frank"]) {
      await t.call(
        "POST",
        `/v1/policies/${hash}/signatures`,
        "admin",
        signPolicyActivation(v1, secretOf(id)),
      );
    }
    const history = (await t.call("GET", "/v1/policies/history/export", "auditor")).json;
    const dir = tmp("coldpath-policy-history-");
    const genesisFile = path.join(dir, "genesis.json");
    writeFileSync(genesisFile, JSON.stringify(GENESIS));
    const good = path.join(dir, "history.json");
    writeFileSync(good, JSON.stringify(history));
    const ok = await run("--policies", good, "--genesis", genesisFile);
    assert.deepEqual([ok.code, ok.v.policies?.activeHash], [0, hash]);
    // A forged version 2 appended with a stranger's signatures.
    const forged = successor(v1, (p) => (p.description = "forged"));
    history.chain.push({
      policy: forged,
      signatures: [
        signPolicyActivation(forged, secretOf("alice")),
        signPolicyActivation(forged, secretOf("bob")),
      ],
    });
    history.activeHash = policyHash(forged);
    const bad = path.join(dir, "forged.json");
    writeFileSync(bad, JSON.stringify(history));
    const r = await run("--policies", bad, "--genesis", genesisFile);
    assert.deepEqual([r.code, r.v.policies?.firstBadVersion], [1, 2]);
  });
});
