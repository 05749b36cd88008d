/**
 * `npm run signer`: validates the environment, opens the key backend and serves the API.
 */
import { loadConfig } from "./config.js";
import { startSigner } from "./app.js";
import { SignerError } from "./errors.js";
import { secp256k1Engine } from "./keys/libsecp256k1.js";

try {
  const config = loadConfig(process.env);
  const running = await startSigner(config);
  const keys = await running.core.listKeys();
  if (config.policy?.enforcement === "off") {
    process.stdout.write(
      JSON.stringify({
        time: new Date().toISOString(),
        level: "warn",
        msg: "SIGNER POLICY ENFORCEMENT IS OFF (SIGNER_POLICY_ENFORCEMENT=off): requests are signed on the allowlist alone; development and tests only",
      }) + "\n",
    );
  } else if (config.policy?.genesisFile === undefined) {
    process.stdout.write(
      JSON.stringify({
        time: new Date().toISOString(),
        level: "warn",
        msg: "no SIGNER_POLICY_GENESIS_FILE: no policy can be activated, every sign request will be refused",
      }) + "\n",
    );
  }
  process.stdout.write(
    JSON.stringify({
      time: new Date().toISOString(),
      msg: "signer listening",
      url: running.url,
      backend: config.backend.kind,
      // Which libsecp256k1 build signs and checks (decision 1045); the reason when not native.
      secp256k1: secp256k1Engine,
      keys,
    }) + "\n",
  );
  const stop = (): void => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (err) {
  const message = err instanceof SignerError ? `${err.code}: ${err.message}` : String(err);
  process.stderr.write(`signer failed to start: ${message}\n`);
  process.exit(1);
}
