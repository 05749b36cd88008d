/**
 * `npm run tezos:sandbox`: starts the sandbox node RPC on 127.0.0.1 (PORT, default 8732).
 * The printed secret keys are TEST FIXTURES derived from public labels: anyone can recompute
 * them, so they must never hold value anywhere.
 */
import { startSandbox } from "./index.js";

const port = Number(process.env["PORT"] ?? 8732);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be an integer from 0 to 65535, got ${process.env["PORT"]}`);
  process.exit(2);
}
const log = process.env["SANDBOX_LOG"] === "1";
const sandbox = await startSandbox({
  port,
  ...(log ? { onRequest: (m: string, p: string, s: number) => console.log(`${s} ${m} ${p}`) } : {}),
});
console.log(`Tezos sandbox RPC listening on ${sandbox.url}`);
console.log(`chain id ${sandbox.chain.chainId}, protocol ${sandbox.chain.protocol}`);
console.log("Bootstrap accounts (TEST FIXTURES ONLY - public, never use on a real network):");
for (const a of sandbox.accounts) {
  console.log(`  ${a.name}  ${a.address}  ${a.secretKey}${a.isDelegate ? "  (delegate)" : ""}`);
}
const stop = (): void => {
  void sandbox.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
