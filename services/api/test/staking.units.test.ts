import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, ValidationError } from "../../shared/src/errors.js";
import { loadConfig } from "../src/config.js";
import { TaquitoTezosChain } from "../src/chains/tezos-taquito-chain.js";
import { stakingFromEnv } from "../src/staking/settings.js";
import { parseBaker } from "../src/staking/staking.dto.js";
import { VALID_TZ1 } from "./helpers.js";

describe("staking settings", () => {
  const config = loadConfig({ DATA_DIR: "memory://", SIGNER_TOKEN: "t".repeat(40) });

  it("is off unless TEZOS_STAKING=on", () => {
    assert.equal(stakingFromEnv({}, config), undefined);
    assert.equal(stakingFromEnv({ TEZOS_STAKING: "off" }, config), undefined);
    assert.ok(stakingFromEnv({ TEZOS_STAKING: "on" }, config)?.chain instanceof TaquitoTezosChain);
  });

  it("names the bad variable", () => {
    assert.throws(
      () => stakingFromEnv({ TEZOS_STAKING: "yes" }, config),
      (e: unknown) => e instanceof ConfigError && /TEZOS_STAKING/.test(e.message),
    );
    assert.throws(
      () => stakingFromEnv({ TEZOS_STAKING: "on" }, loadConfig({ DATA_DIR: "memory://" })),
      (e: unknown) => e instanceof ConfigError && /SIGNER_TOKEN/.test(e.message),
    );
  });
});

describe("parseBaker", () => {
  it("accepts tz1 key hashes and null", () => {
    assert.equal(parseBaker(VALID_TZ1, "baker"), VALID_TZ1);
    assert.equal(parseBaker(null, "baker"), null);
  });

  it("refuses a bad checksum, a KT1 and garbage, naming the field", () => {
    for (const bad of [
      VALID_TZ1.slice(0, -1) + (VALID_TZ1.endsWith("b") ? "c" : "b"),
      "KT1PWx2mnDueood7fEmfbBDKx1D9BAnnXitn",
      "tz1",
      "",
    ]) {
      assert.throws(
        () => parseBaker(bad, "baker"),
        (e: unknown) =>
          e instanceof ValidationError && e.field === "baker" && e.code === "invalid_tezos_address",
        bad,
      );
    }
  });
});
