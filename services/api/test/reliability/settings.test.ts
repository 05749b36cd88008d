/** Outbox reliability settings: defaults, validation naming the variable, the test-only hook. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError } from "../../../shared/src/errors.js";
import { DEFAULT_OUTBOX_RELIABILITY, loadOutboxReliability } from "../../src/outbox/reliability-settings.js";
import { pauseForTest } from "../../src/outbox/test-pause.js";

const refused = (env: Record<string, string>, variable: string) =>
  assert.throws(
    () => loadOutboxReliability(env),
    (e: unknown) => e instanceof ConfigError && e.message.includes(variable),
  );

describe("outbox reliability settings", () => {
  it("defaults when nothing is set, the test hook off", () => {
    assert.deepEqual(loadOutboxReliability({}), DEFAULT_OUTBOX_RELIABILITY);
    assert.equal(loadOutboxReliability({ COLDPATH_TEST_PAUSE_AT: "" }).testPauseAt, undefined);
  });

  it("reads every variable", () => {
    const s = loadOutboxReliability({
      OUTBOX_LEASE_MS: "5000",
      EVM_BUMP_AFTER_MS: "1000",
      EVM_BUMP_AFTER_BLOCKS: "2",
      EVM_BUMP_BPS: "2000",
      OUTBOX_PIPELINE_DEPTH: "4",
    });
    assert.deepEqual(s, {
      leaseMs: 5000,
      bumpAfterMs: 1000,
      bumpAfterBlocks: 2,
      bumpBps: 2000n,
      pipelineDepth: 4,
    });
  });

  it("refuses a bump below 12.5 %, a tiny lease, junk and a pause point without its file", () => {
    refused({ EVM_BUMP_BPS: "1000" }, "EVM_BUMP_BPS");
    refused({ OUTBOX_LEASE_MS: "10" }, "OUTBOX_LEASE_MS");
    refused({ EVM_BUMP_AFTER_BLOCKS: "three" }, "EVM_BUMP_AFTER_BLOCKS");
    refused({ OUTBOX_PIPELINE_DEPTH: "0" }, "OUTBOX_PIPELINE_DEPTH");
    refused({ COLDPATH_TEST_PAUSE_AT: "somewhere" }, "COLDPATH_TEST_PAUSE_AT");
    refused({ COLDPATH_TEST_PAUSE_AT: "after-sign" }, "COLDPATH_TEST_PAUSE_FILE");
  });

  it("the pause hook is inert unless its point is set, and writes its marker when reached", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "coldpath-pause-")), "marker.json");
    await pauseForTest(DEFAULT_OUTBOX_RELIABILITY, "after-sign", { operationId: "x" });
    const settings = {
      ...DEFAULT_OUTBOX_RELIABILITY,
      testPauseAt: "after-sign" as const,
      testPauseFile: file,
    };
    await pauseForTest(settings, "after-broadcast", { operationId: "x" });
    let resolved = false;
    void pauseForTest(settings, "after-sign", { operationId: "op-1" }).then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(resolved, false);
    assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), {
      point: "after-sign",
      pid: process.pid,
      operationId: "op-1",
    });
  });
});
