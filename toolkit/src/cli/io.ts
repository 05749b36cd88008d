import { createInterface } from "node:readline";
import type { CliIo } from "./framework.js";

function readSecret(question: string): Promise<string> {
  // Raw mode reads keys one by one without echo, so a passphrase never appears on screen.
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let answer = "";
    const onData = (data: Buffer): void => {
      for (const ch of data.toString("utf8")) {
        if (ch === "\r" || ch === "\n") {
          finish();
          resolve(answer);
          return;
        }
        if (ch === "\u0003") {
          finish();
          reject(new Error("interrupted"));
          return;
        }
        if (ch === "\u007f" || ch === "\b") answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    const finish = (): void => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
    };
    stdin.on("data", onData);
  });
}

/**
 * The process's terminal as {@link CliIo}. Prompts are asked on standard error so that
 * `--json` output on standard output stays clean for scripts.
 */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    env: process.env,
    prompt(question, options = {}) {
      if (options.secret) return readSecret(question);
      const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
      return new Promise<string>((resolve) => {
        rl.question(question, (answer) => {
          rl.close();
          resolve(answer);
        });
      });
    },
  };
}
