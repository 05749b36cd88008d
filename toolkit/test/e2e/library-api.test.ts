import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as toolkit from "../../src/index.js";

describe("library API", () => {
  it("exports the ceremony, envelope and QR functions by name and crypto and chains as namespaces", () => {
    for (const name of [
      "createParty",
      "runCeremony",
      "verifyTranscript",
      "coldSignEvm",
      "frostRound1",
      "frostRelay",
      "frostRound2",
      "frostAggregate",
      "prepareSweep",
      "createEnvelope",
      "parseEnvelope",
      "writeQrPngs",
      "readQrPngs",
      "splitIntoParts",
    ] as const) {
      assert.equal(typeof toolkit[name], "function", name);
    }
    assert.equal(typeof toolkit.crypto.combineShares, "function");
    assert.equal(typeof toolkit.crypto.NonceStore, "function");
    assert.equal(typeof toolkit.chains.decodeRequest, "function");
    assert.equal(typeof toolkit.chains.BurnRegistry, "function");
    assert.equal(new toolkit.IntegrityError("x", "y").code, "INTEGRITY");
  });
});
