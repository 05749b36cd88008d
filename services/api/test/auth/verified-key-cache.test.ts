import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { issueApiKey, secretMatches, parseApiKeyToken } from "../../src/auth/api-key-tokens.js";
import { VerifiedKeyCache } from "../../src/auth/verified-key-cache.js";

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe("the verified API key cache", () => {
  it("serves a row until its TTL ends, then asks again", () => {
    const c = clock();
    const cache = new VerifiedKeyCache({ now: c.now, ttlMs: 2_000 });
    const { row } = issueApiKey("ops", "operator", new Date());
    cache.put(row, cache.generation(row.id));
    c.advance(1_999);
    assert.equal(cache.get(row.id), row);
    c.advance(1);
    assert.equal(cache.get(row.id), undefined);
  });

  it("never keeps a revoked row", () => {
    const cache = new VerifiedKeyCache();
    const { row } = issueApiKey("ops", "operator", new Date());
    cache.put({ ...row, revokedAt: new Date() }, cache.generation(row.id));
    assert.equal(cache.get(row.id), undefined);
  });

  it("drops a row on invalidate, and refuses a row read before the invalidation", () => {
    const cache = new VerifiedKeyCache();
    const { row } = issueApiKey("ops", "operator", new Date());
    cache.put(row, cache.generation(row.id));
    // A lookup starts (takes the generation), the revocation commits and invalidates, then the
    // lookup's stale, unrevoked row arrives: it must not be cached.
    const before = cache.generation(row.id);
    cache.invalidate(row.id);
    assert.equal(cache.get(row.id), undefined);
    cache.put(row, before);
    assert.equal(cache.get(row.id), undefined);
    // A lookup that starts after the invalidation caches normally.
    cache.put(row, cache.generation(row.id));
    assert.equal(cache.get(row.id), row);
  });

  it("holds at most `size` rows, dropping the oldest first", () => {
    const cache = new VerifiedKeyCache({ size: 2 });
    const rows = [1, 2, 3].map((i) => issueApiKey(`k${i}`, "operator", new Date()).row);
    for (const row of rows) cache.put(row, cache.generation(row.id));
    assert.equal(cache.get(rows[0]!.id), undefined);
    assert.equal(cache.get(rows[1]!.id), rows[1]);
    assert.equal(cache.get(rows[2]!.id), rows[2]);
  });

  it("holds rows, not secrets: a wrong secret for a cached id still fails the check", () => {
    const cache = new VerifiedKeyCache();
    const { row, token } = issueApiKey("ops", "operator", new Date());
    cache.put(row, cache.generation(row.id));
    const parsed = parseApiKeyToken(token)!;
    const cached = cache.get(parsed.id)!;
    assert.ok(secretMatches(cached, parsed.secret));
    assert.ok(!secretMatches(cached, parsed.secret.slice(0, -1) + (parsed.secret.endsWith("A") ? "B" : "A")));
  });
});
