/** Helpers of the main-job tests: free ports, child processes with captured output. */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

export { freePort, freePorts } from "../../../shared/test/free-ports.js";

export interface Spawned {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the first output line matching `pattern` (rejects on exit or timeout). */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  readonly exited: Promise<number | null>;
}

/** Runs `node --import tsx <script>` from the repository root with `env` added. */
export function runScript(script: string, env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, script)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    text += chunk.toString("utf8");
    for (const l of [...listeners]) l();
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    output: () => text,
    exited,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`${script}: no line matching ${pattern} within ${timeoutMs} ms; output:\n${text}`),
          );
        }, timeoutMs);
        function check(): void {
          const line = text.split("\n").find((l) => pattern.test(l));
          if (line === undefined) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(line);
        }
        listeners.add(check);
        void exited.then((code) => {
          if (!listeners.has(check)) return;
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`${script} exited (${code}) before printing ${pattern}; output:\n${text}`));
        });
        check();
      });
    },
  };
}
