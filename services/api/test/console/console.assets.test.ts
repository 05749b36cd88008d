import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Database } from "../../../db/src/database.js";
import { openMigratedPglite } from "../../../db/test/targets.js";
import { CONSOLE_CSP } from "../../src/console/console.controller.js";
import { startHarness, type Harness } from "../approvals/harness.js";

describe("approver console assets", () => {
  let database: Database;
  let h: Harness;
  before(async () => {
    database = await openMigratedPglite();
    h = await startHarness(database);
  });
  after(async () => {
    await h?.close();
    await database?.close();
  });

  const assets = [
    ["/console", "text/html"],
    ["/console/app.js", "text/javascript"],
    ["/console/styles.css", "text/css"],
    ["/console/icon.svg", "image/svg+xml"],
    ["/console/vendor/webauthn.js", "text/javascript"],
  ] as const;

  it("serves every asset without authentication under the strict CSP and anti-framing headers", async () => {
    for (const [url, type] of assets) {
      const res = await h.app.inject({ url });
      assert.equal(res.statusCode, 200, url);
      assert.ok(String(res.headers["content-type"]).startsWith(type), url);
      assert.equal(res.headers["content-security-policy"], CONSOLE_CSP);
      assert.equal(res.headers["x-frame-options"], "DENY");
      assert.equal(res.headers["x-content-type-options"], "nosniff");
      assert.equal(res.headers["cache-control"], "no-store");
    }
    assert.match(CONSOLE_CSP, /default-src 'none'/);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval|\*/);
  });

  it("loads nothing from another origin and runs no inline code", async () => {
    const html = (await h.app.inject({ url: "/console" })).body;
    for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      assert.match(m[1]!, /^(\/console\/|#)/, `${m[1]} is not same-origin`);
    }
    assert.doesNotMatch(html, /<script>(?!<\/script>)|\sstyle="|\son[a-z]+="/i);
    const js = (await h.app.inject({ url: "/console/app.js" })).body;
    assert.doesNotMatch(js, /innerHTML|outerHTML|insertAdjacentHTML|eval\(|new Function/);
    assert.doesNotMatch(js, /https?:\/\//);
    const lib = (await h.app.inject({ url: "/console/vendor/webauthn.js" })).body;
    assert.match(lib, /SimpleWebAuthnBrowser/);
  });

  it("keeps the console API closed without a session", async () => {
    const list = await h.app.inject({ url: "/v1/console/approvals" });
    assert.deepEqual([list.statusCode, list.json().error.code], [401, "session_required"]);
    const forged = await h.app.inject({
      url: "/v1/console/approvals",
      headers: { cookie: "coldpath_console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
    });
    assert.equal(forged.statusCode, 401);
    const apiKey = await h.app.inject({
      url: "/v1/console/approvals",
      headers: { authorization: `Bearer ${h.keys.admin}` },
    });
    assert.equal(apiKey.statusCode, 401, "an API key is not a console session");
  });
});
