import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase } from "../src/database.js";
import { DataDirLockedError } from "../src/pglite-lock.js";
import { CustomersRepository } from "../src/repositories.js";

describe("embedded PGlite on disk", () => {
  it("keeps data across restarts and refuses a second opener while in use", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "coldpath-pglite-"));
    const dataDir = path.join(dir, "pglite");
    const customers = new CustomersRepository();
    const id = randomUUID();
    try {
      const first = await openDatabase({ kind: "pglite", dataDir });
      await customers.insert(first.db, {
        id,
        name: "persisted",
        evmColdAddress: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        tezosColdAddress: "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb",
        createdAt: new Date(),
      });
      await assert.rejects(openDatabase({ kind: "pglite", dataDir }), DataDirLockedError);
      await first.close();

      const second = await openDatabase({ kind: "pglite", dataDir });
      try {
        assert.equal((await customers.findById(second.db, id))?.name, "persisted");
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
