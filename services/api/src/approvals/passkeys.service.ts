import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { Inject, Injectable } from "@nestjs/common";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import type { Database, Executor } from "../../../db/src/database.js";
import { AuditService } from "../audit/audit.service.js";
import type { Principal } from "../auth/roles.js";
import type { ApiConfig } from "../config.js";
import { CLOCK, CONFIG, DATABASE, type Clock } from "../tokens.js";
import type {
  ApprovalsRepository,
  ChallengeRow,
  EnrolmentRow,
  PasskeyRow,
  SessionRow,
} from "./approvals.repository.js";
import { coseToUncompressedP256 } from "./cose-key.js";
import { ApprovalsError, sessionRequired } from "./errors.js";
import { ACTIVE_POLICY, APPROVALS_REPOSITORY, type ActivePolicySource } from "./tokens.js";

/** How long a registration or sign-in challenge may be answered. */
export const CEREMONY_TTL_MS = 5 * 60_000;
/** Console sessions are short: an approver signs in for a sitting, not for the day. */
export const SESSION_TTL_MS = 15 * 60_000;
const ES256 = -7;

/** Enrolment codes look like `cpe_<enrolment id, 32 hex>_<secret, 43 base64url>`. */
const ENROLMENT_CODE = /^cpe_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

const sha256Hex = (value: string): string => createHash("sha256").update(value, "utf8").digest("hex");

function uuidFromHex(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function sameHash(expectedHex: string, value: string): boolean {
  const a = Buffer.from(expectedHex, "hex");
  const b = Buffer.from(sha256Hex(value), "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A passkey as the console and admins see it: `active` only when the active policy lists it. */
export interface PasskeyView {
  readonly credentialId: string;
  readonly approverId: string;
  readonly publicKey: string;
  readonly algorithm: "ES256";
  readonly status: "pending" | "active";
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

/** What a successful sign-in hands back; `token` goes into the cookie, `csrfToken` to the page. */
export interface SignedIn {
  readonly token: string;
  readonly csrfToken: string;
  readonly session: SessionRow;
}

/**
 * Passkey enrolment and registration, console sign-in and sessions. A registered passkey grants
 * no authority: it becomes usable for approvals only once a quorum-activated policy lists it.
 */
@Injectable()
export class PasskeysService {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(CONFIG) private readonly config: ApiConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APPROVALS_REPOSITORY) private readonly repo: ApprovalsRepository,
    @Inject(ACTIVE_POLICY) private readonly policies: ActivePolicySource,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  /**
   * Creates a one-time enrolment code for `approverId` (inside the caller's transaction).
   * Only the code's hash is stored; the code is returned once.
   */
  async createEnrolment(
    tx: Executor,
    principal: Principal,
    approverId: string,
    ttlMinutes: number,
    now: Date,
  ): Promise<{ row: EnrolmentRow; code: string }> {
    const id = randomUUID();
    const secret = randomBytes(32).toString("base64url");
    const code = `cpe_${id.replaceAll("-", "")}_${secret}`;
    const row: EnrolmentRow = {
      id,
      approverId,
      codeHash: sha256Hex(secret),
      createdBy: principal.actor,
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttlMinutes * 60_000),
      usedAt: null,
    };
    await this.repo.insertEnrolment(tx, row);
    await this.audit.record(
      tx,
      principal,
      "passkey.enrolment_created",
      { enrolmentId: id, approverId, expiresAt: row.expiresAt.toISOString() },
      now,
    );
    return { row, code };
  }

  /** @throws {ApprovalsError} `enrolment_invalid` (401) for an unknown, used, expired or wrong code. */
  private async openEnrolment(ex: Executor, code: string, now: Date): Promise<EnrolmentRow> {
    const match = ENROLMENT_CODE.exec(code);
    const invalid = (why: string) => new ApprovalsError("enrolment_invalid", 401, why, "code");
    if (!match) throw invalid("the enrolment code is malformed");
    const row = await this.repo.findEnrolment(ex, uuidFromHex(match[1]!));
    if (!row || !sameHash(row.codeHash, match[2]!)) throw invalid("unknown enrolment code");
    if (row.usedAt !== null) throw invalid("this enrolment code was already used");
    if (row.expiresAt.getTime() <= now.getTime()) throw invalid("this enrolment code has expired");
    return row;
  }

  /** Registration options for the approver an enrolment code names; the challenge is stored. */
  async registrationOptions(code: string): Promise<{
    challengeId: string;
    approverId: string;
    options: PublicKeyCredentialCreationOptionsJSON;
  }> {
    const db = this.database.db;
    const now = this.clock();
    const enrolment = await this.openEnrolment(db, code, now);
    const existing = await this.repo.passkeysOf(db, enrolment.approverId);
    const options = await generateRegistrationOptions({
      rpName: "Coldpath approvals",
      rpID: this.config.webauthnRpId,
      userName: enrolment.approverId,
      userID: new TextEncoder().encode(enrolment.approverId),
      challenge: randomBytes(32),
      timeout: CEREMONY_TTL_MS,
      attestationType: "none",
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
      authenticatorSelection: { residentKey: "required", userVerification: "required" },
      supportedAlgorithmIDs: [ES256],
    });
    const challengeId = randomUUID();
    await this.repo.insertChallenge(db, {
      ...this.challengeRow(challengeId, "registration", options.challenge, now),
      approverId: enrolment.approverId,
      enrolmentId: enrolment.id,
    });
    return { challengeId, approverId: enrolment.approverId, options };
  }

  private challengeRow(
    id: string,
    purpose: ChallengeRow["purpose"],
    challenge: string,
    now: Date,
  ): ChallengeRow {
    return {
      id,
      purpose,
      challenge,
      approverId: null,
      enrolmentId: null,
      subjectKind: null,
      subjectId: null,
      subjectDigest: null,
      nonce: null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + CEREMONY_TTL_MS),
      usedAt: null,
    };
  }

  /**
   * @throws {ApprovalsError} `challenge_invalid` / `challenge_expired` / `challenge_used`
   *   naming `challengeId`.
   */
  async openChallenge(
    ex: Executor,
    id: string,
    purpose: ChallengeRow["purpose"],
    now: Date,
  ): Promise<ChallengeRow> {
    const row = await this.repo.findChallenge(ex, id);
    if (!row || row.purpose !== purpose) {
      throw new ApprovalsError("challenge_invalid", 400, `no ${purpose} challenge '${id}'`, "challengeId");
    }
    if (row.usedAt !== null) {
      throw new ApprovalsError("challenge_used", 409, "this challenge was already answered", "challengeId");
    }
    if (row.expiresAt.getTime() <= now.getTime()) {
      throw new ApprovalsError("challenge_expired", 400, "this challenge has expired", "challengeId");
    }
    return row;
  }

  private async consume(ex: Executor, challenge: ChallengeRow, now: Date): Promise<void> {
    if (!(await this.repo.consumeChallenge(ex, challenge.id, now))) {
      throw new ApprovalsError("challenge_used", 409, "this challenge was already answered", "challengeId");
    }
  }

  /**
   * Verifies a registration (attestation `none`, ES256, user verification required) and stores
   * the passkey as pending. The enrolment code is spent.
   *
   * @throws {ApprovalsError} `enrolment_invalid`, `challenge_*`, `registration_failed` (field `response`).
   */
  async register(
    code: string,
    challengeId: string,
    response: RegistrationResponseJSON,
  ): Promise<PasskeyView> {
    const now = this.clock();
    const db = this.database.db;
    const enrolment = await this.openEnrolment(db, code, now);
    const challenge = await this.openChallenge(db, challengeId, "registration", now);
    if (challenge.enrolmentId !== enrolment.id) {
      throw new ApprovalsError(
        "challenge_invalid",
        400,
        "the challenge belongs to another enrolment",
        "challengeId",
      );
    }
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge.challenge,
        expectedOrigin: [...this.config.webauthnOrigins],
        expectedRPID: this.config.webauthnRpId,
        requireUserVerification: true,
        supportedAlgorithmIDs: [ES256],
      });
    } catch (error) {
      throw new ApprovalsError("registration_failed", 400, (error as Error).message, "response");
    }
    if (!verified.verified) {
      throw new ApprovalsError("registration_failed", 400, "the registration did not verify", "response");
    }
    const credential = verified.registrationInfo.credential;
    const publicKeyHex = coseToUncompressedP256(credential.publicKey);
    const row: PasskeyRow = {
      credentialId: credential.id,
      approverId: enrolment.approverId,
      publicKeyHex,
      cosePublicKey: Buffer.from(credential.publicKey).toString("base64url"),
      counter: credential.counter,
      transports: [...(credential.transports ?? [])],
      enrolmentId: enrolment.id,
      createdAt: now,
      lastUsedAt: null,
    };
    await db.transaction(async (tx) => {
      await this.consume(tx, challenge, now);
      if (!(await this.repo.useEnrolment(tx, enrolment.id, now))) {
        throw new ApprovalsError("enrolment_invalid", 401, "this enrolment code was already used", "code");
      }
      if (await this.repo.findPasskey(tx, row.credentialId)) {
        throw new ApprovalsError("passkey_exists", 409, "this passkey is already registered", "response");
      }
      await this.repo.insertPasskey(tx, row);
      await this.audit.record(
        tx,
        `approver:${row.approverId}`,
        "passkey.registered",
        {
          approverId: row.approverId,
          credentialId: row.credentialId,
          publicKey: publicKeyHex,
          enrolmentId: enrolment.id,
        },
        now,
      );
    });
    return (await this.views([row]))[0]!;
  }

  /** Passkeys with their status under the active policy. */
  async views(rows: readonly PasskeyRow[]): Promise<PasskeyView[]> {
    const listed = await this.listedCredentials();
    return rows.map((p) => ({
      credentialId: p.credentialId,
      approverId: p.approverId,
      publicKey: p.publicKeyHex,
      algorithm: "ES256" as const,
      status: listed.get(p.credentialId) === `${p.approverId}:${p.publicKeyHex}` ? "active" : "pending",
      createdAt: p.createdAt.toISOString(),
      lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
    }));
  }

  /** Every passkey registered so far (admins compare this with policy proposals). */
  async list(approverId?: string): Promise<PasskeyView[]> {
    const db = this.database.db;
    return this.views(
      approverId ? await this.repo.passkeysOf(db, approverId) : await this.repo.allPasskeys(db),
    );
  }

  /** credentialId -> `approverId:publicKey` for every passkey the active policy lists. */
  private async listedCredentials(): Promise<Map<string, string>> {
    const active = await this.policies.active();
    const listed = new Map<string, string>();
    for (const group of Object.values(active?.document.approverGroups ?? {})) {
      for (const approver of group.approvers) {
        for (const passkey of approver.passkeys ?? []) {
          listed.set(passkey.credentialId, `${approver.id}:${passkey.publicKey}`);
        }
      }
    }
    return listed;
  }

  /** Options for a console sign-in with any registered (discoverable) passkey. */
  async signInOptions(): Promise<{ challengeId: string; options: PublicKeyCredentialRequestOptionsJSON }> {
    const now = this.clock();
    const options = await generateAuthenticationOptions({
      rpID: this.config.webauthnRpId,
      challenge: randomBytes(32),
      timeout: CEREMONY_TTL_MS,
      userVerification: "required",
    });
    const challengeId = randomUUID();
    await this.repo.purgeExpiredChallenges(this.database.db, now);
    await this.repo.insertChallenge(
      this.database.db,
      this.challengeRow(challengeId, "sign-in", options.challenge, now),
    );
    return { challengeId, options };
  }

  /**
   * Verifies a WebAuthn assertion with the stored passkey (signature, rpId, origin, user
   * verification and the signature counter) and advances the counter.
   *
   * @throws {ApprovalsError} `unknown_credential` (401), `assertion_failed` (400, field `response`).
   */
  async verifyAssertion(
    ex: Executor,
    response: AuthenticationResponseJSON,
    expectedChallenge: string,
    now: Date,
  ): Promise<PasskeyRow> {
    const passkey = await this.repo.findPasskey(ex, String(response.id));
    if (!passkey)
      throw new ApprovalsError("unknown_credential", 401, "this passkey is not registered", "response.id");
    let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge,
        expectedOrigin: [...this.config.webauthnOrigins],
        expectedRPID: this.config.webauthnRpId,
        requireUserVerification: true,
        credential: {
          id: passkey.credentialId,
          publicKey: Buffer.from(passkey.cosePublicKey, "base64url"),
          counter: passkey.counter,
          transports: passkey.transports as never,
        },
      });
    } catch (error) {
      throw new ApprovalsError("assertion_failed", 400, (error as Error).message, "response");
    }
    if (!verified.verified)
      throw new ApprovalsError("assertion_failed", 400, "the assertion did not verify", "response");
    await this.repo.touchPasskey(ex, passkey.credentialId, verified.authenticationInfo.newCounter, now);
    return passkey;
  }

  /**
   * Signs an approver in: verifies the assertion for a sign-in challenge and opens a session.
   *
   * @throws {ApprovalsError} `challenge_*`, `unknown_credential`, `assertion_failed`.
   */
  async signIn(challengeId: string, response: AuthenticationResponseJSON): Promise<SignedIn> {
    const now = this.clock();
    const db = this.database.db;
    const challenge = await this.openChallenge(db, challengeId, "sign-in", now);
    const token = randomBytes(32).toString("base64url");
    const csrfToken = randomBytes(32).toString("base64url");
    return db.transaction(async (tx) => {
      await this.consume(tx, challenge, now);
      const passkey = await this.verifyAssertion(tx, response, challenge.challenge, now);
      const session: SessionRow = {
        tokenHash: sha256Hex(token),
        csrfHash: sha256Hex(csrfToken),
        approverId: passkey.approverId,
        credentialId: passkey.credentialId,
        createdAt: now,
        expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
        endedAt: null,
      };
      await this.repo.insertSession(tx, session);
      await this.audit.record(
        tx,
        `approver:${passkey.approverId}`,
        "console.signed_in",
        { approverId: passkey.approverId, credentialId: passkey.credentialId },
        now,
      );
      return { token, csrfToken, session };
    });
  }

  /**
   * The live session a cookie token names.
   *
   * @throws {ApprovalsError} `session_required` (401) when absent, unknown, ended or expired.
   */
  async session(token: string | undefined): Promise<SessionRow> {
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) throw sessionRequired();
    const row = await this.repo.findSession(this.database.db, sha256Hex(token));
    if (!row || row.endedAt !== null) throw sessionRequired();
    if (row.expiresAt.getTime() <= this.clock().getTime())
      throw sessionRequired("the console session has expired");
    return row;
  }

  /** True when `csrfToken` is the one issued with `session`. */
  csrfMatches(session: SessionRow, csrfToken: string | undefined): boolean {
    return typeof csrfToken === "string" && csrfToken.length > 0 && sameHash(session.csrfHash, csrfToken);
  }

  /** A fresh CSRF token for a session (the page may reload and lose the one it had). */
  async rotateCsrf(session: SessionRow): Promise<string> {
    const csrfToken = randomBytes(32).toString("base64url");
    await this.repo.setSessionCsrf(this.database.db, session.tokenHash, sha256Hex(csrfToken));
    return csrfToken;
  }

  async signOut(session: SessionRow): Promise<void> {
    const now = this.clock();
    await this.database.db.transaction(async (tx) => {
      await this.repo.endSession(tx, session.tokenHash, now);
      await this.audit.record(
        tx,
        `approver:${session.approverId}`,
        "console.signed_out",
        { approverId: session.approverId },
        now,
      );
    });
  }
}
