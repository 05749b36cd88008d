import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "../../../shared/src/errors.js";
import { policySettingsFromEnv } from "../../src/policy/settings.js";
import { GENESIS } from "./fixtures.js";

const file = (text: string): string => {
  const p = path.join(mkdtempSync(path.join(tmpdir(), "coldpath-genesis-")), "genesis.json");
  writeFileSync(p, text);
  return p;
};
const refuses = (env: Record<string, string>, variable: string, message: RegExp): void => {
  assert.throws(
    () => policySettingsFromEnv(env),
    (e: unknown) => e instanceof ConfigError && e.variables.includes(variable) && message.test(e.message),
  );
};

describe("policy settings from the environment", () => {
  it("defaults to enforcement on, with no genesis pinned", () => {
    const s = policySettingsFromEnv({});
    assert.deepEqual([s.enforcement, s.genesis, s.requesterApprovers.size], ["on", null, 0]);
  });
  it("reads the pinned genesis and the requester map", () => {
    const s = policySettingsFromEnv({
      POLICY_GENESIS_FILE: file(JSON.stringify(GENESIS)),
      POLICY_REQUESTER_APPROVERS: "k1=alice, k2=bob",
    });
    assert.deepEqual(s.genesis, GENESIS);
    assert.equal(s.requesterApprovers.get("k2"), "bob");
  });
  it("refuses bad values, naming the variable", () => {
    refuses({ POLICY_ENFORCEMENT: "maybe" }, "POLICY_ENFORCEMENT", /on or off/);
    refuses({ POLICY_GENESIS_FILE: "/nonexistent/genesis.json" }, "POLICY_GENESIS_FILE", /ENOENT/);
    refuses({ POLICY_GENESIS_FILE: file("{") }, "POLICY_GENESIS_FILE", /not JSON/);
    refuses(
      { POLICY_GENESIS_FILE: file(JSON.stringify({ ...GENESIS, threshold: 4 })) },
      "POLICY_GENESIS_FILE",
      /threshold/,
    );
    const badKey = { approvers: [{ id: "erin", publicKeys: ["xyz"] }], threshold: 1 };
    refuses({ POLICY_GENESIS_FILE: file(JSON.stringify(badKey)) }, "POLICY_GENESIS_FILE", /publicKeys/);
    refuses({ POLICY_REQUESTER_APPROVERS: "k1" }, "POLICY_REQUESTER_APPROVERS", /apiKeyId=approverId/);
  });
});
