import { and, asc, eq, gt, isNull, lt } from "drizzle-orm";
import type { Executor } from "../../../db/src/database.js";
import {
  approvals,
  approverEnrolments,
  approverPasskeys,
  consoleSessions,
  webauthnChallenges,
  type ApprovalSubjectKind,
} from "../../../db/src/schema-approvals.js";

export type EnrolmentRow = typeof approverEnrolments.$inferSelect;
export type PasskeyRow = typeof approverPasskeys.$inferSelect;
export type ChallengeRow = typeof webauthnChallenges.$inferSelect;
export type ApprovalRow = typeof approvals.$inferSelect;
export type SessionRow = typeof consoleSessions.$inferSelect;

/** Storage of enrolments, passkeys, challenges, approvals and console sessions. */
export class ApprovalsRepository {
  async insertEnrolment(ex: Executor, row: EnrolmentRow): Promise<void> {
    await ex.insert(approverEnrolments).values(row);
  }

  async findEnrolment(ex: Executor, id: string): Promise<EnrolmentRow | undefined> {
    return (await ex.select().from(approverEnrolments).where(eq(approverEnrolments.id, id)).limit(1))[0];
  }

  /** Marks an enrolment used; false if it was used concurrently (the caller must abort). */
  async useEnrolment(ex: Executor, id: string, at: Date): Promise<boolean> {
    const rows = await ex
      .update(approverEnrolments)
      .set({ usedAt: at })
      .where(and(eq(approverEnrolments.id, id), isNull(approverEnrolments.usedAt)))
      .returning({ id: approverEnrolments.id });
    return rows.length === 1;
  }

  async insertPasskey(ex: Executor, row: PasskeyRow): Promise<void> {
    await ex.insert(approverPasskeys).values(row);
  }

  async findPasskey(ex: Executor, credentialId: string): Promise<PasskeyRow | undefined> {
    return (
      await ex.select().from(approverPasskeys).where(eq(approverPasskeys.credentialId, credentialId)).limit(1)
    )[0];
  }

  async passkeysOf(ex: Executor, approverId: string): Promise<PasskeyRow[]> {
    return ex
      .select()
      .from(approverPasskeys)
      .where(eq(approverPasskeys.approverId, approverId))
      .orderBy(asc(approverPasskeys.createdAt));
  }

  async allPasskeys(ex: Executor): Promise<PasskeyRow[]> {
    return ex
      .select()
      .from(approverPasskeys)
      .orderBy(asc(approverPasskeys.approverId), asc(approverPasskeys.createdAt));
  }

  async touchPasskey(ex: Executor, credentialId: string, counter: number, at: Date): Promise<void> {
    await ex
      .update(approverPasskeys)
      .set({ counter, lastUsedAt: at })
      .where(eq(approverPasskeys.credentialId, credentialId));
  }

  async insertChallenge(ex: Executor, row: ChallengeRow): Promise<void> {
    await ex.insert(webauthnChallenges).values(row);
  }

  /**
   * Deletes challenges that expired more than a day ago. The public ceremony routes create rows
   * for anyone who asks, so old ones are purged whenever a new one is issued.
   */
  async purgeExpiredChallenges(ex: Executor, now: Date): Promise<void> {
    await ex
      .delete(webauthnChallenges)
      .where(lt(webauthnChallenges.expiresAt, new Date(now.getTime() - 24 * 3_600_000)));
  }

  async findChallenge(ex: Executor, id: string): Promise<ChallengeRow | undefined> {
    return (await ex.select().from(webauthnChallenges).where(eq(webauthnChallenges.id, id)).limit(1))[0];
  }

  async findChallengeByValue(ex: Executor, challenge: string): Promise<ChallengeRow | undefined> {
    return (
      await ex.select().from(webauthnChallenges).where(eq(webauthnChallenges.challenge, challenge)).limit(1)
    )[0];
  }

  /**
   * Consumes a challenge exactly once: the conditional update succeeds for one transaction only,
   * so two concurrent submissions of the same assertion cannot both pass.
   */
  async consumeChallenge(ex: Executor, id: string, at: Date): Promise<boolean> {
    const rows = await ex
      .update(webauthnChallenges)
      .set({ usedAt: at })
      .where(
        and(
          eq(webauthnChallenges.id, id),
          isNull(webauthnChallenges.usedAt),
          gt(webauthnChallenges.expiresAt, at),
        ),
      )
      .returning({ id: webauthnChallenges.id });
    return rows.length === 1;
  }

  /**
   * Inserts a decision; false when a unique index refused it (the same approver on the same
   * subject, or a reused nonce, committed concurrently). Nothing else is swallowed.
   */
  async insertApproval(ex: Executor, row: ApprovalRow): Promise<boolean> {
    const inserted = await ex
      .insert(approvals)
      .values(row)
      .onConflictDoNothing()
      .returning({ id: approvals.id });
    return inserted.length === 1;
  }

  async approvalsFor(ex: Executor, kind: ApprovalSubjectKind, subjectId: string): Promise<ApprovalRow[]> {
    return ex
      .select()
      .from(approvals)
      .where(and(eq(approvals.subjectKind, kind), eq(approvals.subjectId, subjectId)))
      .orderBy(asc(approvals.createdAt), asc(approvals.id));
  }

  async findApproval(
    ex: Executor,
    kind: ApprovalSubjectKind,
    subjectId: string,
    approverId: string,
  ): Promise<ApprovalRow | undefined> {
    return (
      await ex
        .select()
        .from(approvals)
        .where(
          and(
            eq(approvals.subjectKind, kind),
            eq(approvals.subjectId, subjectId),
            eq(approvals.approverId, approverId),
          ),
        )
        .limit(1)
    )[0];
  }

  async findApprovalByNonce(ex: Executor, nonce: string): Promise<ApprovalRow | undefined> {
    return (await ex.select().from(approvals).where(eq(approvals.nonce, nonce)).limit(1))[0];
  }

  async insertSession(ex: Executor, row: SessionRow): Promise<void> {
    await ex.insert(consoleSessions).values(row);
  }

  async findSession(ex: Executor, tokenHash: string): Promise<SessionRow | undefined> {
    return (
      await ex.select().from(consoleSessions).where(eq(consoleSessions.tokenHash, tokenHash)).limit(1)
    )[0];
  }

  async setSessionCsrf(ex: Executor, tokenHash: string, csrfHash: string): Promise<void> {
    await ex.update(consoleSessions).set({ csrfHash }).where(eq(consoleSessions.tokenHash, tokenHash));
  }

  async endSession(ex: Executor, tokenHash: string, at: Date): Promise<void> {
    await ex
      .update(consoleSessions)
      .set({ endedAt: at })
      .where(and(eq(consoleSessions.tokenHash, tokenHash), isNull(consoleSessions.endedAt)));
  }
}
