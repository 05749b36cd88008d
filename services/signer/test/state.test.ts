import { describe, it } from "node:test";
import { tempDir } from "./helpers/fixture.js";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NonceStore } from "../src/state/nonces.js";
import { KnownContracts } from "../src/state/known-contracts.js";
import { AuditLog } from "../src/state/audit.js";

const ADDR = "0x" + "ab".repeat(20);
const tmp = (): string => tempDir("coldpath-state-");

describe("signer state files", () => {
  it("nonce journal: last line wins, a torn final line is ignored, a corrupt middle line is refused, compaction keeps values", () => {
    const dir = tmp();
    const path = join(dir, "nonces.jsonl");
    const store = new NonceStore(path);
    store.set(1n, ADDR, 1n);
    store.set(1n, ADDR, 2n);
    store.set(5n, ADDR, 9n);
    appendFileSync(path, '{"key":"1:0xabab');
    const reopened = new NonceStore(path);
    assert.equal(reopened.get(1n, ADDR), 2n);
    assert.equal(reopened.get(5n, ADDR), 9n);
    assert.equal(readFileSync(path, "utf8").trim().split("\n").length, 2);
    writeFileSync(path, 'garbage\n{"key":"1:' + ADDR + '","next":"3"}\n');
    assert.throws(() => new NonceStore(path), /corrupt nonce entry/);
  });

  it("learned contracts: survive a reopen, tolerate a torn last line, refuse a malformed allowlist", () => {
    const dir = tmp();
    const path = join(dir, "learned.jsonl");
    const known = new KnownContracts(path);
    known.learn({ chain: "evm", address: "0x" + "CD".repeat(20), hot: ADDR, cold: ADDR, learnedAt: "t" });
    appendFileSync(path, '{"chain":"evm","addr');
    const again = new KnownContracts(path);
    assert.equal(again.hotOf("0x" + "CD".repeat(20)), ADDR);
    // The torn tail was dropped, so a new entry lands on its own line.
    again.learn({
      chain: "tezos",
      address: "KT1BEqzn5Wx8uJrZNvuS9DVHmLvG9td3fDLi",
      hot: "tz1",
      cold: "tz1",
      learnedAt: "t",
    });
    assert.equal(new KnownContracts(path).hotOf("KT1BEqzn5Wx8uJrZNvuS9DVHmLvG9td3fDLi"), "tz1");
    const allow = join(dir, "allow.txt");
    writeFileSync(allow, "0x1234\n");
    assert.throws(() => new KnownContracts(path, allow), /allow\.txt:1/);
  });

  it("audit log: hash chain verifies and an edited or deleted line is detected", () => {
    const dir = tmp();
    const path = join(dir, "audit.jsonl");
    const log = new AuditLog(path);
    for (let i = 0; i < 4; i++)
      log.append({ outcome: "refused", chain: "evm", keyId: "k", digest: null, reason: `R${i}` });
    // A reopened log continues the chain.
    new AuditLog(path).append({ outcome: "signed", chain: "evm", keyId: "k", digest: null });
    assert.equal(AuditLog.verify(path), 5);
    appendFileSync(path, '{"time":"torn');
    new AuditLog(path).append({ outcome: "signed", chain: "tezos", keyId: "k", digest: null });
    assert.equal(AuditLog.verify(path), 6);
    const lines = readFileSync(path, "utf8").trim().split("\n");
    writeFileSync(path, [lines[0], lines[1]!.replace("R1", "R9"), ...lines.slice(2)].join("\n") + "\n");
    assert.equal(AuditLog.verify(path), -3);
    writeFileSync(path, [lines[0], ...lines.slice(2)].join("\n") + "\n");
    assert.equal(AuditLog.verify(path), -2);
  });
});
