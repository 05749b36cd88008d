-- The audit chain's head, read under the chain's lock in the statement that appends after it.
-- VOLATILE matters: each statement of a volatile SQL function takes a fresh snapshot, so the head
-- read here, after the lock, sees the row the previous lock holder committed, even though the
-- calling statement's own snapshot was taken before the lock was granted. The lock is the one
-- AuditRepository always used (0x636f6c64, "cold") and is held until the transaction ends.
CREATE FUNCTION "audit_chain_head_locked"() RETURNS TABLE ("seq" bigint, "hash" text)
  LANGUAGE sql VOLATILE AS $$
  SELECT pg_advisory_xact_lock(1668246628);
  SELECT coalesce(l.seq, 0)::bigint, coalesce(l.hash, repeat('0', 64))
    FROM (SELECT 1) one
    LEFT JOIN LATERAL (SELECT a.seq, a.hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1) l ON true;
$$;
--> statement-breakpoint
-- A stamp that changes, in the same transaction, with every write to the policy tables, so an API
-- instance may keep the verified policy state in memory and re-verify only when the stamp moved.
-- Values come from a sequence: a rolled-back change never hands its stamp to a later state.
CREATE SEQUENCE "policy_state_stamp_seq";
--> statement-breakpoint
CREATE TABLE "policy_state_stamp" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"stamp" bigint NOT NULL,
	CONSTRAINT "policy_state_stamp_one_row" CHECK ("policy_state_stamp"."id")
);
--> statement-breakpoint
INSERT INTO "policy_state_stamp" ("id", "stamp") VALUES (true, nextval('policy_state_stamp_seq'));
--> statement-breakpoint
CREATE FUNCTION "policy_state_stamp_bump"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "policy_state_stamp" SET "stamp" = nextval('policy_state_stamp_seq');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "policy_versions_stamp" AFTER INSERT OR UPDATE OR DELETE ON "policy_versions"
  FOR EACH STATEMENT EXECUTE FUNCTION "policy_state_stamp_bump"();
--> statement-breakpoint
CREATE TRIGGER "policy_versions_stamp_truncate" AFTER TRUNCATE ON "policy_versions"
  FOR EACH STATEMENT EXECUTE FUNCTION "policy_state_stamp_bump"();
--> statement-breakpoint
CREATE TRIGGER "policy_signatures_stamp" AFTER INSERT OR UPDATE OR DELETE ON "policy_signatures"
  FOR EACH STATEMENT EXECUTE FUNCTION "policy_state_stamp_bump"();
--> statement-breakpoint
CREATE TRIGGER "policy_signatures_stamp_truncate" AFTER TRUNCATE ON "policy_signatures"
  FOR EACH STATEMENT EXECUTE FUNCTION "policy_state_stamp_bump"();
