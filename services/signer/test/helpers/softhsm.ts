/**
 * A project-local SoftHSM token for tests: its own config and token directory in a temp dir, so
 * no system paths are touched.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeOnExit } from "./fixture.js";

export const SOFTHSM_LIBRARY = "/usr/lib/softhsm/libsofthsm2.so";

/** Why PKCS#11 tests are skipped, or false when SoftHSM is installed. */
export const softhsmSkip: string | false = existsSync(SOFTHSM_LIBRARY)
  ? false
  : `SoftHSM is not installed (${SOFTHSM_LIBRARY} missing); apt-get install softhsm2`;

let configured: string | undefined;

/**
 * Points SOFTHSM2_CONF at a fresh temp token directory (once per process: SoftHSM reads its
 * configuration when the module is first initialised) and creates a token with this label.
 */
export function initToken(label: string, pin: string): void {
  if (configured === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "coldpath-softhsm-"));
    removeOnExit(dir);
    const tokens = join(dir, "tokens");
    mkdirSync(tokens);
    const conf = join(dir, "softhsm2.conf");
    writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    process.env["SOFTHSM2_CONF"] = conf;
    configured = conf;
  }
  execFileSync(
    "softhsm2-util",
    ["--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", `${pin}-so`],
    {
      env: process.env,
      stdio: "pipe",
    },
  );
}
