/**
 * A durable store of FROST round-1 nonces that lets each nonce sign at most once, across
 * crashes and restored backups. See docs/decisions/0201-nonce-reuse-defence.md.
 *
 * Files in the store directory:
 * - `log.jsonl`: append-only, hash-chained events (`issued`, `consumed`), each fsynced before
 *   the action it records has any visible effect.
 * - `nonces.json`: pending nonces (secret scalars encrypted under a key derived from the party's
 *   share), the counter high-water mark and the log head it was written against; replaced
 *   atomically (temp file, fsync, rename, directory fsync).
 * - `lock`: held (with the owner's pid) while an operation runs.
 *
 * Rules:
 * 1. A nonce is recorded `consumed` in the log, durably, before its signature share exists.
 * 2. A consumed nonce is deleted from `nonces.json`; a nonce the log says was consumed is
 *    refused even if a stale `nonces.json` still holds it.
 * 3. Every signature share reports the log position it was released at (`logSeq`); the
 *    coordinator keeps the highest position seen per party in the transcript and sends it back
 *    in each request. A store whose log is shorter than that was restored from an older copy and
 *    refuses to sign. Requests may also list commitments already seen in signature shares; such
 *    a nonce is refused whatever the store says.
 * 4. Nonces are bound to the message digest and session id at round 1 (see frost.ts).
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  truncateSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { IntegrityError, InvalidInputError, RefusedError } from "../errors.js";
import { ed25519Group as G } from "./curves.js";
import type { Rng } from "./entropy.js";
import { osRng } from "./entropy.js";
import type { FrostCommitment, FrostPublicPackage, FrostSignatureShare, NonceBinding } from "./frost.js";
import { SigningNonces, commit, messageDigest, prepareSignShare } from "./frost.js";
import { writeFileAtomic } from "./party-keys.js";
import type { PartyShare } from "./sharing.js";

/** A round-1 commitment as published by a store: the FROST commitment plus store metadata. */
export interface StoredCommitment {
  readonly commitment: FrostCommitment;
  /** SHA-256 over the commitment, hex: the nonce's id. */
  readonly nonceId: string;
  /** Monotonic per-store counter of this nonce. */
  readonly counter: number;
  /** Log length after the nonce was issued. */
  readonly logSeq: number;
  /** Log head hash after the nonce was issued (rollback evidence, with `logSeq`). */
  readonly logHead: string;
  readonly binding: NonceBinding;
}

/** What the coordinator knows about this party from earlier transcripts. */
export interface RollbackEvidence {
  /** Highest `logSeq` this party ever reported (in commitments or signature shares). */
  readonly seenLogSeq?: number;
  /**
   * Log head hash reported together with `seenLogSeq`. A store whose log entry at that position
   * has another hash was restored and then extended (a fork): it is refused too.
   */
  readonly seenLogHead?: string;
  /** Highest nonce counter this party ever published. */
  readonly seenCounter?: number;
  /** Nonce ids (commitment hashes) already seen in signature shares. */
  readonly usedNonceIds?: readonly string[];
}

/** A released signature share plus the log position it was released at. */
export interface StoredSignatureShare {
  readonly share: FrostSignatureShare;
  readonly nonceId: string;
  readonly logSeq: number;
  readonly logHead: string;
}

/** Fault injection for crash tests: called at named points; throwing simulates a crash. */
export interface NonceStoreFaults {
  afterIssueLogged?(): void;
  afterConsumeLogged?(): void;
}

interface LogEvent {
  seq: number;
  type: "issued" | "consumed";
  nonceId: string;
  counter: number;
  prev: string;
  hash: string;
}

interface PendingNonce {
  counter: number;
  commitment: FrostCommitment;
  binding: NonceBinding;
  nonce: string;
  sealed: string;
}

interface StateFile {
  version: 1;
  party: string;
  publicKey: string;
  highWater: number;
  logSeq: number;
  logHead: string;
  pending: Record<string, PendingNonce>;
}

const GENESIS = "0".repeat(64);

/** SHA-256 over a commitment (party, identifier, both points): the nonce id. */
export function nonceIdOf(c: FrostCommitment): string {
  return bytesToHex(
    sha256(utf8ToBytes(`coldpath/nonce-id/v1|${c.party}|${c.identifier}|${c.hiding}|${c.binding}`)),
  );
}

function eventHash(e: Omit<LogEvent, "hash">): string {
  return bytesToHex(sha256(utf8ToBytes(JSON.stringify([e.seq, e.type, e.nonceId, e.counter, e.prev]))));
}

function sealKey(share: PartyShare, publicKey: string): Uint8Array {
  const secret = concatBytes(...share.entries.map((e) => G.encodeScalar(e.value)));
  const key = hkdf(
    sha256,
    secret,
    utf8ToBytes(publicKey),
    utf8ToBytes(`coldpath/nonce-store/v1/${share.party}`),
    32,
  );
  secret.fill(0);
  return key;
}

/**
 * File-backed single-use nonce store for one party and one cold key.
 * @example
 * const store = NonceStore.open(dir, pkg, "alice");
 * const c = store.createNonce(share, { messageDigest: messageDigest(msg), sessionId });
 * // ... coordinator collects commitments ...
 * const { share: z } = store.sign(share, c.nonceId, list, msg, sessionId, evidence);
 */
export class NonceStore {
  readonly dir: string;
  readonly party: string;
  readonly pkg: FrostPublicPackage;
  readonly #publicKey: string;
  readonly #faults: NonceStoreFaults;

  private constructor(dir: string, pkg: FrostPublicPackage, party: string, faults: NonceStoreFaults) {
    this.dir = dir;
    this.pkg = pkg;
    this.party = party;
    this.#publicKey = pkg.commitments.publicKey;
    this.#faults = faults;
  }

  /**
   * Opens (creating if absent) the store in `dir` and checks it: log hash chain intact, state
   * consistent with the log.
   * @throws {IntegrityError} if the log is corrupt or shorter than the state expects.
   */
  static open(
    dir: string,
    pkg: FrostPublicPackage,
    party: string,
    faults: NonceStoreFaults = {},
  ): NonceStore {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const store = new NonceStore(dir, pkg, party, faults);
    store.#withLock(() => store.#load());
    return store;
  }

  get #logPath(): string {
    return join(this.dir, "log.jsonl");
  }

  get #statePath(): string {
    return join(this.dir, "nonces.json");
  }

  #withLock<T>(fn: () => T): T {
    const lock = join(this.dir, "lock");
    let fd: number;
    try {
      fd = openSync(lock, "wx", 0o600);
    } catch {
      let holder = NaN;
      try {
        holder = Number(readFileSync(lock, "utf8"));
      } catch {
        /* vanished meanwhile */
      }
      let alive = false;
      try {
        if (Number.isInteger(holder) && holder !== process.pid) alive = process.kill(holder, 0);
      } catch {
        alive = false;
      }
      if (alive)
        throw new RefusedError("NONCE_STORE_LOCKED", `nonce store ${this.dir} is in use by pid ${holder}`);
      unlinkSync(lock);
      fd = openSync(lock, "wx", 0o600);
    }
    try {
      writeSync(fd, String(process.pid));
      return fn();
    } finally {
      closeSync(fd);
      unlinkSync(lock);
    }
  }

  #readLog(): LogEvent[] {
    if (!existsSync(this.#logPath)) return [];
    const text = readFileSync(this.#logPath, "utf8");
    const lines = text.split("\n");
    const complete = text.endsWith("\n") || text === "";
    // A torn final line (crash mid-append, before fsync returned) never had an effect: the
    // action it records happens only after the append. Cut it off so the chain stays clean.
    const torn = lines.pop();
    if (!complete && torn !== undefined)
      truncateSync(this.#logPath, Buffer.byteLength(text) - Buffer.byteLength(torn));
    const events: LogEvent[] = [];
    let prev = GENESIS;
    lines.forEach((line, i) => {
      let e: LogEvent;
      try {
        e = JSON.parse(line) as LogEvent;
      } catch {
        throw new IntegrityError("nonce log", `line ${i + 1} is not JSON`);
      }
      if (e.seq !== i + 1 || e.prev !== prev || e.hash !== eventHash(e))
        throw new IntegrityError("nonce log", `hash chain broken at line ${i + 1}`);
      prev = e.hash;
      events.push(e);
    });
    return events;
  }

  #append(events: LogEvent[], type: LogEvent["type"], nonceId: string, counter: number): LogEvent {
    const last = events.at(-1);
    const base = { seq: events.length + 1, type, nonceId, counter, prev: last ? last.hash : GENESIS };
    const e: LogEvent = { ...base, hash: eventHash(base) };
    const fd = openSync(this.#logPath, "a", 0o600);
    try {
      writeSync(fd, JSON.stringify(e) + "\n");
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    events.push(e);
    return e;
  }

  #readState(): StateFile {
    if (!existsSync(this.#statePath))
      return {
        version: 1,
        party: this.party,
        publicKey: this.#publicKey,
        highWater: 0,
        logSeq: 0,
        logHead: GENESIS,
        pending: {},
      };
    let s: StateFile;
    try {
      s = JSON.parse(readFileSync(this.#statePath, "utf8")) as StateFile;
    } catch {
      throw new IntegrityError("nonce store", "nonces.json is not JSON");
    }
    if (s.version !== 1 || s.party !== this.party || s.publicKey !== this.#publicKey)
      throw new IntegrityError("nonce store", `belongs to ${s.party} / key ${s.publicKey}`);
    return s;
  }

  #writeState(s: StateFile): void {
    writeFileAtomic(this.#statePath, JSON.stringify(s, null, 1));
  }

  /** Loads and reconciles state with the log; returns both. */
  #load(): { log: LogEvent[]; state: StateFile } {
    const log = this.#readLog();
    const state = this.#readState();
    if (state.logSeq > log.length || (state.logSeq > 0 && log[state.logSeq - 1]?.hash !== state.logHead))
      throw new RefusedError(
        "NONCE_STORE_ROLLBACK",
        `nonce log has ${log.length} entries but the state was written after entry ${state.logSeq}: the log was restored from an older copy`,
      );
    const consumed = new Set(log.filter((e) => e.type === "consumed").map((e) => e.nonceId));
    const issued = new Set(log.filter((e) => e.type === "issued").map((e) => e.nonceId));
    const maxCounter = log.reduce((m, e) => Math.max(m, e.counter), 0);
    let dirty = false;
    for (const id of Object.keys(state.pending)) {
      if (!issued.has(id))
        throw new IntegrityError("nonce store", `pending nonce ${id} was never logged as issued`);
      // Crash between logging consumption and rewriting the state: finish the deletion.
      if (consumed.has(id)) {
        delete state.pending[id];
        dirty = true;
      }
    }
    if (maxCounter > state.highWater) {
      state.highWater = maxCounter;
      dirty = true;
    }
    if (dirty) {
      state.logSeq = log.length;
      state.logHead = log.at(-1)?.hash ?? GENESIS;
      this.#writeState(state);
    }
    return { log, state };
  }

  /** Log length (the value rollback evidence is compared with). */
  get logSeq(): number {
    return this.#withLock(() => this.#load().log.length);
  }

  /** Highest nonce counter ever issued by this store. */
  get highWater(): number {
    return this.#withLock(() => this.#load().state.highWater);
  }

  /** Ids of nonces issued and not yet consumed. */
  pendingNonceIds(): string[] {
    return this.#withLock(() => Object.keys(this.#load().state.pending));
  }

  /**
   * Round 1: draws nonces bound to `binding`, logs their issuance durably, stores them sealed,
   * and returns the public commitment.
   * @throws {InvalidInputError} if the share is not this store's party's.
   */
  createNonce(share: PartyShare, binding: NonceBinding, rng: Rng = osRng): StoredCommitment {
    if (share.party !== this.party) throw new InvalidInputError("share", `store belongs to "${this.party}"`);
    return this.#withLock(() => {
      const { log, state } = this.#load();
      const { nonces, commitment } = commit(this.pkg, share, rng, binding);
      const nonceId = nonceIdOf(commitment);
      const counter = state.highWater + 1;
      this.#append(log, "issued", nonceId, counter);
      this.#faults.afterIssueLogged?.();
      const key = sealKey(share, this.#publicKey);
      const n = rng(24);
      const sealed = xchacha20poly1305(key, n, utf8ToBytes(nonceId)).encrypt(
        utf8ToBytes(JSON.stringify(nonces.exportSecret())),
      );
      key.fill(0);
      nonces.discard();
      state.pending[nonceId] = {
        counter,
        commitment,
        binding,
        nonce: bytesToHex(n),
        sealed: bytesToHex(sealed),
      };
      state.highWater = counter;
      state.logSeq = log.length;
      state.logHead = (log.at(-1) as LogEvent).hash;
      this.#writeState(state);
      return Object.freeze({
        commitment,
        nonceId,
        counter,
        logSeq: log.length,
        logHead: state.logHead,
        binding,
      });
    });
  }

  /**
   * Round 2: signs with a stored nonce exactly once. Checks, in order: rollback evidence, that
   * the nonce was not consumed, that the request matches the round-1 binding and commitment;
   * then logs consumption (fsync), deletes the nonce, and only then computes the share.
   * @throws {RefusedError} NONCE_STORE_ROLLBACK, NONCE_REUSED, NONCE_UNKNOWN, MESSAGE_MISMATCH,
   *   SESSION_MISMATCH, COMMITMENT_MISMATCH.
   */
  sign(
    share: PartyShare,
    nonceId: string,
    commitmentList: readonly FrostCommitment[],
    message: Uint8Array,
    sessionId: string,
    evidence: RollbackEvidence = {},
  ): StoredSignatureShare {
    if (share.party !== this.party) throw new InvalidInputError("share", `store belongs to "${this.party}"`);
    return this.#withLock(() => {
      const { log, state } = this.#load();
      if ((evidence.seenLogSeq ?? 0) > log.length)
        throw new RefusedError(
          "NONCE_STORE_ROLLBACK",
          `${this.party} already reported log position ${evidence.seenLogSeq}, but this store's log has ${log.length} entries: it was restored from an older copy`,
        );
      if (
        evidence.seenLogHead !== undefined &&
        evidence.seenLogSeq !== undefined &&
        evidence.seenLogSeq > 0 &&
        log[evidence.seenLogSeq - 1]?.hash !== evidence.seenLogHead
      )
        throw new RefusedError(
          "NONCE_STORE_ROLLBACK",
          `${this.party}'s log entry ${evidence.seenLogSeq} differs from the one reported earlier: the store was restored and rewritten`,
        );
      if ((evidence.seenCounter ?? 0) > state.highWater)
        throw new RefusedError(
          "NONCE_STORE_ROLLBACK",
          `${this.party} already published nonce counter ${evidence.seenCounter}, this store is at ${state.highWater}`,
        );
      if (
        evidence.usedNonceIds?.includes(nonceId) ||
        log.some((e) => e.type === "consumed" && e.nonceId === nonceId)
      )
        throw new RefusedError(
          "NONCE_REUSED",
          `nonce ${nonceId.slice(0, 16)}… of ${this.party} was already used`,
        );
      const p = state.pending[nonceId];
      if (!p)
        throw new RefusedError(
          "NONCE_UNKNOWN",
          `no pending nonce ${nonceId.slice(0, 16)}… for ${this.party}`,
        );
      if (p.binding.messageDigest !== messageDigest(message))
        throw new RefusedError("MESSAGE_MISMATCH", `${this.party} committed to a different message`);
      if (p.binding.sessionId !== sessionId)
        throw new RefusedError(
          "SESSION_MISMATCH",
          `${this.party} committed in session ${p.binding.sessionId}`,
        );
      const own = commitmentList.find((c) => c.party === this.party);
      if (!own || nonceIdOf(own) !== nonceId)
        throw new RefusedError("COMMITMENT_MISMATCH", `the list does not carry ${this.party}'s commitment`);
      const key = sealKey(share, this.#publicKey);
      let secret: { hiding: string; binding: string };
      try {
        secret = JSON.parse(
          new TextDecoder().decode(
            xchacha20poly1305(key, hexToBytes(p.nonce), utf8ToBytes(nonceId)).decrypt(hexToBytes(p.sealed)),
          ),
        ) as { hiding: string; binding: string };
      } catch {
        throw new IntegrityError(
          "nonce store",
          `nonce ${nonceId.slice(0, 16)}… cannot be unsealed with this share`,
        );
      } finally {
        key.fill(0);
      }
      const nonces = SigningNonces.restore(this.party, p.commitment.identifier, secret, p.binding);
      if (nonceIdOf(nonces.commitment) !== nonceId)
        throw new IntegrityError(
          "nonce store",
          `nonce ${nonceId.slice(0, 16)}… does not match its commitment`,
        );
      // Every check of the request happens before consumption, so a bad request burns nothing.
      const finish = prepareSignShare(this.pkg, share, nonces, commitmentList, message, sessionId);
      // Rule 1: durable consumption before the share exists.
      const consumedEvent = this.#append(log, "consumed", nonceId, p.counter);
      this.#faults.afterConsumeLogged?.();
      delete state.pending[nonceId];
      state.logSeq = log.length;
      state.logHead = consumedEvent.hash;
      this.#writeState(state);
      const z = finish();
      return Object.freeze({ share: z, nonceId, logSeq: log.length, logHead: consumedEvent.hash });
    });
  }

  /**
   * Abandons a pending nonce (e.g. a cancelled session): logged as consumed, then deleted.
   * @throws {RefusedError} NONCE_UNKNOWN if there is no such pending nonce.
   */
  discard(nonceId: string): void {
    this.#withLock(() => {
      const { log, state } = this.#load();
      const p = state.pending[nonceId];
      if (!p) throw new RefusedError("NONCE_UNKNOWN", `no pending nonce ${nonceId.slice(0, 16)}…`);
      const e = this.#append(log, "consumed", nonceId, p.counter);
      delete state.pending[nonceId];
      state.logSeq = log.length;
      state.logHead = e.hash;
      this.#writeState(state);
    });
  }
}
