import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { AddressInfo } from "node:net";
import { openDatabase, type Database } from "../../../db/src/database.js";
import { policyHash } from "../../../policy/src/index.js";
import {
  bootstrapDevPolicy,
  devPolicyEnv,
  devPolicyFromExample,
  ensureDevGenesis,
} from "../../src/policy/dev-bootstrap.js";
import { parseGenesis } from "../../src/policy/settings.js";
import { startPolicyApp, type PolicyTestApp } from "./fixtures.js";

const CHIEF = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const BAKERS = ["tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx"];

describe("the dev policy bootstrap of the local main job (development only)", () => {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), "coldpath-dev-policy-")), "dev-policy");
  const dev = ensureDevGenesis(dir);
  let database: Database;
  let t: PolicyTestApp;
  let apiUrl = "";

  before(async () => {
    database = await openDatabase({ kind: "pglite", dataDir: "memory://" });
    t = await startPolicyApp(database, {
      genesis: parseGenesis(readFileSync(dev.genesisFile, "utf8"), "POLICY_GENESIS_FILE"),
    });
    await t.app.listen(0, "127.0.0.1");
    apiUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  after(async () => {
    await t.close();
    await database.close();
  });

  it("keeps dev keys private and reads the same genesis back on a second start", () => {
    for (const id of ["dev-officer-1", "dev-officer-2", "dev-officer-3"]) {
      assert.equal(statSync(path.join(dir, `DEV-ONLY-${id}.key`)).mode & 0o777, 0o600);
    }
    assert.deepEqual(ensureDevGenesis(dir).genesis, dev.genesis);
    assert.deepEqual(devPolicyEnv(dev).signer, {
      SIGNER_POLICY_ENFORCEMENT: "on",
      SIGNER_POLICY_GENESIS_FILE: dev.genesisFile,
    });
  });

  it("substitutes the local chief and bakers into the example policy", () => {
    const doc = devPolicyFromExample({
      chief: CHIEF,
      bakers: BAKERS,
      consoleOrigin: "http://127.0.0.1:3000",
    });
    const votes = doc.rules.find((r) => r.id === "routine-votes")!;
    assert.deepEqual(votes.conditions?.allowlists?.chiefs, [CHIEF.toLowerCase()]);
    assert.deepEqual(
      doc.rules.find((r) => r.id === "routine-delegate")!.conditions?.allowlists?.bakers,
      BAKERS,
    );
    assert.deepEqual(doc.webauthn, { rpId: "127.0.0.1", origins: ["http://127.0.0.1:3000"] });
  });

  it("activates the dev policy through the API once, and finds it active on the next start", async () => {
    const policy = devPolicyFromExample({ chief: CHIEF, bakers: BAKERS });
    const lines: string[] = [];
    const first = await bootstrapDevPolicy({
      apiUrl,
      adminKey: t.keys.admin,
      dev,
      policy,
      log: (l) => lines.push(l),
    });
    assert.deepEqual(first, { hash: policyHash(policy), version: 1, created: true });
    const again = await bootstrapDevPolicy({
      apiUrl,
      adminKey: t.keys.admin,
      dev,
      policy,
      log: (l) => lines.push(l),
    });
    assert.equal(again.created, false);
    assert.match(lines[0]!, /DEV ONLY/);
    const active = await t.call("GET", "/v1/policies/active", "auditor");
    assert.deepEqual(active.json.approvedBy, ["dev-officer-1", "dev-officer-2"]);
  });
});
