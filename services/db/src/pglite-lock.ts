import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";

/** Another live process already has the embedded database open. */
export class DataDirLockedError extends Error {
  readonly code = "data_dir_locked";
  readonly pid: number;
  constructor(
    readonly lockFile: string,
    pid: number,
  ) {
    super(
      `the embedded database is in use by process ${pid} (${lockFile}); stop it first or use DATABASE_URL`,
    );
    this.name = "DataDirLockedError";
    this.pid = pid;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes an exclusive lock file beside a PGlite data directory. PGlite is single-process: two
 * processes on one directory corrupt it, so the second one (say the key CLI while the service
 * runs) must stop here. A lock left by a dead process is taken over.
 *
 * @returns the release function.
 * @throws {DataDirLockedError} when a live process holds the lock.
 */
export function lockDataDir(lockFile: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number.parseInt(readFileSync(lockFile, "utf8"), 10);
      if (Number.isInteger(pid) && alive(pid)) throw new DataDirLockedError(lockFile, pid);
      rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`could not take the lock ${lockFile}`);
}
