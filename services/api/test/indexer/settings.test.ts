import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../../shared/src/errors.js";
import { DEFAULT_INDEXER_SETTINGS, loadIndexerSettings } from "../../src/indexer/settings.js";

describe("indexer settings", () => {
  it("defaults every setting and ignores unrelated variables", () => {
    assert.deepEqual(loadIndexerSettings({ PORT: "3000", INDEXER_POLL_MS: "" }), DEFAULT_INDEXER_SETTINGS);
  });

  it("reads every variable", () => {
    assert.deepEqual(
      loadIndexerSettings({
        INDEXER: "off",
        INDEXER_POLL_MS: "250",
        INDEXER_EVM_CONFIRMATIONS: "0",
        INDEXER_TEZOS_CONFIRMATIONS: "1000",
        INDEXER_BATCH_BLOCKS: "1",
      }),
      { enabled: false, pollMs: 250, evmConfirmations: 0, tezosConfirmations: 1000, batchBlocks: 1 },
    );
  });

  for (const [variable, value, message] of [
    ["INDEXER", "maybe", /INDEXER: must be on or off/],
    ["INDEXER_POLL_MS", "9", /INDEXER_POLL_MS: must be at least 10/],
    ["INDEXER_EVM_CONFIRMATIONS", "-1", /INDEXER_EVM_CONFIRMATIONS: must be at least 0/],
    ["INDEXER_TEZOS_CONFIRMATIONS", "1001", /INDEXER_TEZOS_CONFIRMATIONS: must be at most 1000/],
    ["INDEXER_BATCH_BLOCKS", "1.5", /INDEXER_BATCH_BLOCKS: must be an integer/],
    ["INDEXER_BATCH_BLOCKS", "lots", /INDEXER_BATCH_BLOCKS: must be an integer/],
  ] as const) {
    it(`refuses ${variable}=${value}, naming it`, () => {
      assert.throws(
        () => loadIndexerSettings({ [variable]: value }),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
      );
    });
  }
});
