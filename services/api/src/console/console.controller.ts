import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Controller, Get, Res } from "@nestjs/common";
import { ApiExcludeController } from "@nestjs/swagger";
import type { FastifyReply } from "fastify";
import { Public } from "../auth/roles.js";

/** Where the console's static files live (plain HTML/CSS/JS, no build step). */
const CONSOLE_DIR = new URL("../../console/", import.meta.url);

/**
 * Nothing from anywhere else: scripts and styles only from this origin, no inline code, no
 * framing, no plugins; fetches only to this origin.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

interface Asset {
  readonly body: string;
  readonly type: string;
}

function load(): Record<string, Asset> {
  const file = (name: string) => readFileSync(fileURLToPath(new URL(name, CONSOLE_DIR)), "utf8");
  const require = createRequire(import.meta.url);
  // The browser helper ships a self-contained UMD build; served from our own origin (no CDN).
  const webauthn = readFileSync(
    require
      .resolve("@simplewebauthn/browser")
      .replace(/[/\\]script[/\\]index\.js$/, "/dist/bundle/index.umd.min.js"),
    "utf8",
  );
  return {
    "index.html": { body: file("index.html"), type: "text/html; charset=utf-8" },
    "app.js": { body: file("app.js"), type: "text/javascript; charset=utf-8" },
    "styles.css": { body: file("styles.css"), type: "text/css; charset=utf-8" },
    "icon.svg": { body: file("icon.svg"), type: "image/svg+xml" },
    "webauthn.js": { body: webauthn, type: "text/javascript; charset=utf-8" },
  };
}

/** Serves the approver console: one page and its assets, under a strict CSP. */
@ApiExcludeController()
@Controller("console")
export class ConsoleController {
  private readonly assets = load();

  private send(reply: FastifyReply, name: string): string {
    const asset = this.assets[name]!;
    void reply
      .header("content-type", asset.type)
      .header("content-security-policy", CONSOLE_CSP)
      .header("x-content-type-options", "nosniff")
      .header("x-frame-options", "DENY")
      .header("referrer-policy", "no-referrer")
      .header("cross-origin-opener-policy", "same-origin")
      .header("cache-control", "no-store");
    return asset.body;
  }

  @Get()
  @Public()
  page(@Res({ passthrough: true }) reply: FastifyReply): string {
    return this.send(reply, "index.html");
  }

  @Get("app.js")
  @Public()
  script(@Res({ passthrough: true }) reply: FastifyReply): string {
    return this.send(reply, "app.js");
  }

  @Get("styles.css")
  @Public()
  styles(@Res({ passthrough: true }) reply: FastifyReply): string {
    return this.send(reply, "styles.css");
  }

  @Get("icon.svg")
  @Public()
  icon(@Res({ passthrough: true }) reply: FastifyReply): string {
    return this.send(reply, "icon.svg");
  }

  @Get("vendor/webauthn.js")
  @Public()
  webauthn(@Res({ passthrough: true }) reply: FastifyReply): string {
    return this.send(reply, "webauthn.js");
  }
}
