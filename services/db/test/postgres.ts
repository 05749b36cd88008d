/**
 * Test helper: a throwaway PostgreSQL cluster. `initdb` runs as the `postgres` OS user (it
 * refuses root) in a temporary directory; the server listens on 127.0.0.1 on a free port and
 * only on a socket directory inside that temporary directory. Stopped and removed by `stop()`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../../shared/test/free-ports.js";

const PG_BIN_CANDIDATES = [
  "/usr/lib/postgresql/15/bin",
  "/usr/lib/postgresql/16/bin",
  "/usr/lib/postgresql/17/bin",
];

export interface TestPostgres {
  readonly url: string;
  stop(): Promise<void>;
}

/** The PostgreSQL server binary folder, or a reason why there is none. */
export function findPostgres(): { bin: string } | { missing: string } {
  const bin = process.env.PG_BIN ?? PG_BIN_CANDIDATES.find((dir) => existsSync(path.join(dir, "initdb")));
  if (bin === undefined || !existsSync(path.join(bin, "initdb"))) {
    return { missing: `no PostgreSQL server binaries in ${PG_BIN_CANDIDATES.join(", ")} (set PG_BIN)` };
  }
  return { bin };
}

/** Why PostgreSQL tests are skipped on this machine, or `false` when they can run. */
export function postgresSkipReason(): string | false {
  const found = findPostgres();
  if ("missing" in found) {
    console.log(`# skipping PostgreSQL suites: ${found.missing}`);
    return found.missing;
  }
  return false;
}

/** Runs a command as the `postgres` user when we are root, else as ourselves. */
function runAsPostgres(command: string, args: string[]): void {
  const isRoot = process.getuid?.() === 0;
  const [file, argv] = isRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
  execFileSync(file, argv, { stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * Starts a fresh cluster and creates database `coldpath_test`.
 *
 * @throws when the binaries are missing or the server does not start.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const found = findPostgres();
  if ("missing" in found) throw new Error(found.missing);
  const root = mkdtempSync(path.join(tmpdir(), "coldpath-pg-"));
  chmodSync(root, 0o777);
  const dataDir = path.join(root, "data");
  if (process.getuid?.() === 0) execFileSync("chown", ["postgres:postgres", root]);
  runAsPostgres(path.join(found.bin, "initdb"), [
    "-D",
    dataDir,
    "-U",
    "postgres",
    "-A",
    "trust",
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  const port = await freePort();
  const options = `-h 127.0.0.1 -p ${port} -k ${root} -c fsync=off -c full_page_writes=off -c synchronous_commit=off`;
  runAsPostgres(path.join(found.bin, "pg_ctl"), [
    "-D",
    dataDir,
    "-o",
    options,
    "-l",
    path.join(root, "log"),
    "-w",
    "start",
  ]);
  const stop = async (): Promise<void> => {
    try {
      runAsPostgres(path.join(found.bin, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  try {
    runAsPostgres(path.join(path.dirname(found.bin), "bin", "createdb"), [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-U",
      "postgres",
      "coldpath_test",
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/coldpath_test`, stop };
}
