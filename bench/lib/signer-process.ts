/**
 * The hot signer as its own process, started the way an operator starts it
 * (`services/signer/src/main.ts` with a sealed key file and a fresh data directory), so the
 * benchmark's API reaches it over a socket and does not share its event loop.
 */
import { childProfileArgs } from "./child-profile.js";
import { asBackground } from "./background-priority.js";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../services/signer/src/main.ts", import.meta.url));

/** A running signer process. */
export interface SignerProcess {
  readonly url: string;
  readonly pid: number;
  close(): Promise<void>;
}

/**
 * Spawns the signer with `env` (plus PATH) and resolves with its URL once it logs
 * "signer listening". Its per-request log lines are read and dropped.
 *
 * @throws when the process exits before it listens (its stderr is in the message).
 */
export function startSignerProcess(env: Record<string, string>): Promise<SignerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [...childProfileArgs("signer"), "--import", "tsx", MAIN],
    {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  asBackground(child.pid);
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    let out = "";
    let ready = false;
    const onExit = (code: number | null): void => reject(new Error(`signer exited ${code}: ${stderr}`));
    child.once("exit", onExit);
    child.stdout!.on("data", (c: Buffer) => {
      if (ready) return;
      out += c.toString();
      const line = out.split("\n").find((l) => l.includes('"signer listening"'));
      if (line === undefined) return;
      ready = true;
      out = "";
      child.off("exit", onExit);
      resolve({
        url: (JSON.parse(line) as { url: string }).url,
        pid: child.pid!,
        close: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      });
    });
  });
}
