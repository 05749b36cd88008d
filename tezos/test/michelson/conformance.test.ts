import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runConformanceCase } from "../../sandbox/michelson/conformance.js";
import { OPCODE_CASES } from "./opcode-cases.js";

describe("opcode conformance table", () => {
  it("has at least 60 cases", () => {
    assert.ok(OPCODE_CASES.length >= 60, `only ${OPCODE_CASES.length} cases`);
  });
  for (const c of OPCODE_CASES) {
    it(c.name, () => {
      const r = runConformanceCase(c);
      assert.ok(r.ok, `expected ${r.expected}, got ${r.actual}`);
    });
  }
});

describe("conformance CLI", () => {
  it("runs a JSON table, reports each case and exits 1 when one fails", () => {
    const dir = mkdtempSync(join(tmpdir(), "michelson-conformance-"));
    writeFileSync(
      join(dir, "cons.tz"),
      "parameter int; storage (list int); code { UNPAIR ; CONS ; NIL operation ; PAIR }",
    );
    const cases = [
      { scriptFile: "cons.tz", storage: "{ -5 ; 10 }", parameter: "99", expected: "{ 99 ; -5 ; 10 }" },
      {
        name: "big map id",
        script:
          "parameter nat; storage (pair (big_map nat nat) (option bool)); code { UNPAIR ; DIP { CAR ; DUP } ; MEM ; SOME ; SWAP ; PAIR ; NIL operation ; PAIR }",
        parameter: "1",
        storage: "(Pair { Elt 1 0 } None)",
        expected: "(Pair 4 (Some True))",
        context: { bigMapsFirstId: 4 },
      },
      {
        name: "wrong on purpose",
        script: "parameter unit; storage nat; code { CDR ; NIL operation ; PAIR }",
        parameter: "Unit",
        storage: "0",
        expected: "1",
      },
    ];
    writeFileSync(join(dir, "cases.json"), JSON.stringify(cases));
    const cli = fileURLToPath(new URL("../../sandbox/michelson/conformance-cli.ts", import.meta.url));
    const r = spawnSync(process.execPath, ["--import", "tsx", cli, join(dir, "cases.json")], {
      encoding: "utf8",
    });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^ok {3}cons\.tz$/m);
    assert.match(r.stdout, /^ok {3}big map id$/m);
    assert.match(r.stdout, /^FAIL wrong on purpose: expected 1, got 0$/m);
    assert.match(r.stdout, /2\/3 passed/);
  });
});
