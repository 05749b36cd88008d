/**
 * Durable file helpers: whole-file replacement that never leaves a half-written file behind,
 * and appends that reach the disk before the caller goes on.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { randomBytes } from "node:crypto";

/**
 * Writes `data` to a temporary file in the same directory, fsyncs it, renames it over `path`
 * and fsyncs the directory, so a crash leaves either the old or the new content.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", mode);
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

/** Appends one line (a newline is added) and fsyncs before returning. */
export function appendLineDurable(path: string, line: string): void {
  appendLinesDurable(path, [line]);
}

/** Appends lines (each gets a newline) in one write and one fsync; nothing happens for none. */
export function appendLinesDurable(path: string, lines: readonly string[]): void {
  if (lines.length === 0) return;
  const fd = openSync(path, "a", 0o600);
  try {
    writeSync(fd, Buffer.from(lines.map((l) => l + "\n").join(""), "utf8"));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  }
}
