/**
 * DEVELOPMENT ONLY software passkeys of the main job's dev approvers.
 *
 * Each dev approver gets a P-256 passkey held by the policy package's software authenticator
 * (built for tests; this wrapper is the one place the main job reaches into it). Its seed sits in
 * `<dir>/DEV-ONLY-<approver>.passkey.json` (mode 0600) next to the service it approves for, which
 * defeats the point of a human approval: never use these for value. Production approvers
 * register real passkeys in the console at /console.
 *
 * WebAuthn servers refuse an assertion whose signature counter does not grow, and the software
 * authenticator starts counting at zero in every process. The file therefore also keeps the
 * counter, and loading replays that many throw-away assertions (about 2 ms each) so the next
 * real one counts past what the API saw.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { hexToBytes } from "@noble/hashes/utils.js";
import type { Passkey } from "../../services/policy/src/schema.js";
import {
  SoftAuthenticator,
  type SoftAssertion,
  type SoftRegistration,
} from "../../services/policy/src/testing/soft-authenticator.js";
import { writeJson } from "./state-file.js";

/** Where a dev passkey is used: the console's WebAuthn relying party. */
export interface RelyingParty {
  readonly origin: string;
  readonly rpId: string;
}

/** The on-disk form of a dev passkey. */
interface PasskeyFile {
  readonly warning: string;
  readonly approverId: string;
  readonly seed: string;
  readonly signCount: number;
}

/** A dev passkey file is unreadable or belongs to someone else. */
export class DevPasskeyFileError extends Error {
  readonly code = "dev_passkey_file_invalid";
  constructor(
    readonly file: string,
    why: string,
  ) {
    super(`${file}: ${why} (delete the dev-policy folder to start over)`);
    this.name = "DevPasskeyFileError";
  }
}

/** A software passkey of one dev approver, its counter persisted after every use. */
export class DevPasskey {
  readonly #soft: SoftAuthenticator;
  readonly #seed: string;
  #signCount: number;

  private constructor(
    readonly approverId: string,
    readonly file: string,
    seed: string,
    signCount: number,
  ) {
    this.#seed = seed;
    this.#soft = new SoftAuthenticator(hexToBytes(seed));
    for (let i = 0; i < signCount; i++) this.#soft.assert("fast-forward", { origin: "dev:", rpId: "dev" });
    this.#signCount = signCount;
  }

  /**
   * Reads the dev passkey of `approverId` from `dir`, or creates it.
   *
   * @throws {DevPasskeyFileError} when the file is malformed or names another approver.
   * @example const alice = DevPasskey.load(".coldpath/dev-policy", "dev-officer-1");
   */
  static load(dir: string, approverId: string): DevPasskey {
    const file = path.join(dir, `DEV-ONLY-${approverId}.passkey.json`);
    if (!existsSync(file)) {
      const created = new DevPasskey(approverId, file, randomBytes(32).toString("hex"), 0);
      created.#save();
      return created;
    }
    let parsed: Partial<PasskeyFile>;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<PasskeyFile>;
    } catch {
      throw new DevPasskeyFileError(file, "not JSON");
    }
    if (parsed.approverId !== approverId) throw new DevPasskeyFileError(file, `not ${approverId}'s passkey`);
    if (typeof parsed.seed !== "string" || !/^[0-9a-f]{64}$/.test(parsed.seed))
      throw new DevPasskeyFileError(file, "seed must be 64 hex characters");
    const count = parsed.signCount;
    if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0)
      throw new DevPasskeyFileError(file, "signCount must be a non-negative integer");
    return new DevPasskey(approverId, file, parsed.seed, count);
  }

  get credentialId(): string {
    return this.#soft.credentialId;
  }

  /** The entry the dev policy lists for this passkey. */
  passkey(): Passkey {
    return this.#soft.passkey(`DEV ONLY software passkey of ${this.approverId}`);
  }

  /** Answers `navigator.credentials.create` (the console's registration). */
  register(challenge: string, rp: RelyingParty): SoftRegistration {
    const out = this.#soft.register(challenge, rp);
    this.#used();
    return out;
  }

  /** Answers `navigator.credentials.get` (console sign-in and approvals). */
  assert(challenge: string, rp: RelyingParty): SoftAssertion {
    const out = this.#soft.assert(challenge, rp);
    this.#used();
    return out;
  }

  #used(): void {
    this.#signCount++;
    // Saved before the answer leaves: a counter on disk ahead of the server's is harmless.
    this.#save();
  }

  #save(): void {
    const body: PasskeyFile = {
      warning:
        "DEVELOPMENT ONLY software passkey of the local main job: never use it to approve anything of value",
      approverId: this.approverId,
      seed: this.#seed,
      signCount: this.#signCount,
    };
    writeJson(this.file, body);
  }
}
