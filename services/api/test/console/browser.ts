/** Headless Chromium with a virtual WebAuthn authenticator, for the console's end-to-end test. */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const ARTIFACTS = path.resolve("test-artifacts/console");

/** Why the browser test cannot run here, or false. */
export function browserSkipReason(): string | false {
  return existsSync(CHROMIUM)
    ? false
    : `${CHROMIUM} is missing: install Debian's chromium to run the console test`;
}

export async function launch(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** One approver at their own browser profile, holding one platform passkey. */
export interface ApproverBrowser {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly cdp: CDPSession;
  readonly authenticatorId: string;
  /** Every console request that failed a CSP check or threw in the page. */
  readonly problems: string[];
}

/**
 * Opens a fresh context whose page has a CTAP2 internal authenticator with user verification
 * (what a laptop's platform authenticator with a fingerprint reader looks like to a site).
 */
export async function approverBrowser(browser: Browser): Promise<ApproverBrowser> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  // A 401 on load is expected (the page asks whether a session exists); a CSP violation, a
  // script error, a missing asset or a server error is not.
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 4(01|03|09)\b/.test(m.text()))
      problems.push(`console: ${m.text()}`);
  });
  page.on("response", (r) => {
    if (r.status() === 404 || r.status() >= 500) problems.push(`${r.status()} ${r.url()}`);
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { context, page, cdp, authenticatorId, problems };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}
