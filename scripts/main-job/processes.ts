/** Child processes of the main job: start with a readiness check, log to files, stop cleanly. */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";

/** A port the main job needs is taken by something else. */
export class PortBusyError extends Error {
  readonly code = "port_busy";
  constructor(
    readonly port: number,
    readonly what: string,
    readonly variable: string,
  ) {
    super(
      `port ${port} (${what}) is already in use: stop whatever listens there, or choose another with ${variable}=<port>`,
    );
    this.name = "PortBusyError";
  }
}

/**
 * Checks that `port` can be listened on at `host`.
 *
 * @throws {PortBusyError} naming the port, what needs it and the variable that moves it.
 */
export async function assertPortFree(
  host: string,
  port: number,
  what: string,
  variable: string,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE" || error.code === "EACCES"
          ? new PortBusyError(port, what, variable)
          : error,
      );
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** How a child says it is ready: a stdout line it prints, or an HTTP URL that answers 200. */
export type Readiness<T> =
  | { line: (text: string) => T | undefined }
  | { url: string; headers?: Record<string, string> };

export interface RunningChild<T> {
  readonly name: string;
  readonly process: ChildProcess;
  /** What the readiness check extracted (the ready line's data, or undefined for a URL). */
  readonly info: T;
  readonly logFile: string;
  /** The last lines the child wrote (for error messages). */
  tail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface ChildSpec<T> {
  readonly name: string;
  /** The TypeScript entry point, run with this Node and tsx. */
  readonly script: string;
  readonly env: Record<string, string>;
  readonly logDir: string;
  readonly ready: Readiness<T>;
  readonly timeoutMs?: number;
  readonly cwd: string;
}

/**
 * Starts `node --import tsx <script>` with exactly `env`, appends its output to
 * `<logDir>/<name>.log`, and resolves once it is ready.
 *
 * @throws {Error} naming the child and quoting its last output when it exits or times out first.
 */
export async function startChild<T>(spec: ChildSpec<T>): Promise<RunningChild<T>> {
  mkdirSync(spec.logDir, { recursive: true });
  const logFile = path.join(spec.logDir, `${spec.name}.log`);
  const log = createWriteStream(logFile, { flags: "a" });
  const lines: string[] = [];
  const child = spawn(process.execPath, ["--import", "tsx", spec.script], {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  let onLine: (text: string) => void = () => {};
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (text) => {
      log.write(text + "\n");
      lines.push(text);
      if (lines.length > 40) lines.shift();
      onLine(text);
    });
  }
  const tail = () => lines.slice(-15).join("\n");
  const timeoutMs = spec.timeoutMs ?? 120_000;
  const info = await new Promise<T>((resolve, reject) => {
    const fail = (why: string) =>
      reject(new Error(`${spec.name} ${why}; its last output (${logFile}):\n${tail()}`));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(`was not ready within ${timeoutMs / 1000} s`);
    }, timeoutMs);
    void exit.then(() => {
      clearTimeout(timer);
      fail(`exited with code ${child.exitCode ?? child.signalCode} before it was ready`);
    });
    const done = (value: T) => {
      clearTimeout(timer);
      resolve(value);
    };
    const ready = spec.ready;
    if ("line" in ready) {
      onLine = (text) => {
        const value = ready.line(text);
        if (value !== undefined) {
          onLine = () => {};
          done(value);
        }
      };
    } else {
      const poll = async (): Promise<void> => {
        while (!exited) {
          try {
            const res = await fetch(ready.url, { headers: ready.headers ?? {} });
            if (res.status === 200) return done(undefined as T);
          } catch {
            // not listening yet
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      };
      void poll();
    }
  });
  return {
    name: spec.name,
    process: child,
    info,
    logFile,
    tail,
    async stop(graceMs = 10_000) {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exit;
      clearTimeout(timer);
      log.end();
    },
  };
}
