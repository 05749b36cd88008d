import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { openDatabase } from "../../db/src/database.js";
import { ApiKeysRepository, AuditRepository } from "../../db/src/repositories.js";
import { parseApiKeyToken, secretMatches } from "../src/auth/api-key-tokens.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../..", import.meta.url));
const tsx = path.join(root, "node_modules", ".bin", "tsx");
const cli = path.join(root, "services", "api", "src", "cli.ts");

async function runCli(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(tsx, ["--tsconfig", "services/tsconfig.json", cli, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("key CLI", () => {
  it("refuses a bad role or a bad configuration before touching the database", async () => {
    const badRole = await runCli(["create-key", "--role", "root", "--name", "x"], { DATA_DIR: "memory://" });
    assert.equal(badRole.code, 2);
    assert.match(badRole.stderr, /--role must be one of operator, admin, auditor/);
    const badConfig = await runCli(["create-key", "--role", "admin", "--name", "x"], { PORT: "nope" });
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.stderr, /PORT: /);
  });

  it("creates a key on the embedded database and prints its token once", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "coldpath-cli-"));
    try {
      const result = await runCli(["create-key", "--role", "admin", "--name", "first admin"], {
        DATA_DIR: dir,
      });
      assert.equal(result.code, 0, result.stderr);
      const token = result.stdout.trim();
      assert.equal(result.stdout.split("\n").filter(Boolean).length, 1);
      assert.ok(!result.stderr.includes(token), "the token is printed once, on stdout");
      const parsed = parseApiKeyToken(token);
      assert.ok(parsed);

      const database = await openDatabase({ kind: "pglite", dataDir: path.join(dir, "pglite") });
      try {
        const row = await new ApiKeysRepository().findById(database.db, parsed.id);
        assert.equal(row?.role, "admin");
        assert.equal(row?.name, "first admin");
        assert.ok(row && secretMatches(row, parsed.secret));
        assert.ok(!row.hash.includes(parsed.secret));
        const [entry] = await new AuditRepository().all(database.db);
        assert.deepEqual([entry?.action, entry?.actor], ["api_key.created", "system:bootstrap"]);
      } finally {
        await database.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
