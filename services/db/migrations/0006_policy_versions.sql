CREATE TABLE "policy_versions" (
	"hash" text PRIMARY KEY NOT NULL,
	"version" integer NOT NULL,
	"previous_hash" text,
	"document" jsonb NOT NULL,
	"status" text NOT NULL,
	"proposed_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"activated_at" timestamp with time zone,
	CONSTRAINT "policy_versions_status_check" CHECK ("policy_versions"."status" in ('proposed', 'active', 'superseded'))
);
--> statement-breakpoint
CREATE TABLE "policy_signatures" (
	"id" uuid PRIMARY KEY NOT NULL,
	"policy_hash" text NOT NULL,
	"kind" text NOT NULL,
	"approver_id" text NOT NULL,
	"fingerprint" text NOT NULL,
	"signature" jsonb NOT NULL,
	"submitted_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "policy_signatures_kind_check" CHECK ("policy_signatures"."kind" in ('ed25519', 'webauthn'))
);
--> statement-breakpoint
CREATE TABLE "operation_policy" (
	"operation_id" uuid PRIMARY KEY NOT NULL,
	"policy_hash" text NOT NULL,
	"policy_version" integer NOT NULL,
	"decision" jsonb NOT NULL,
	"payload" jsonb NOT NULL,
	"payload_digest" text NOT NULL,
	"approval_group" text,
	"approval_threshold" integer,
	"requester_approver_id" text,
	"evaluated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "policy_signatures" ADD CONSTRAINT "policy_signatures_policy_hash_policy_versions_hash_fk" FOREIGN KEY ("policy_hash") REFERENCES "public"."policy_versions"("hash") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "operation_policy" ADD CONSTRAINT "operation_policy_operation_id_operations_id_fk" FOREIGN KEY ("operation_id") REFERENCES "public"."operations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "policy_versions_version_idx" ON "policy_versions" USING btree ("version");--> statement-breakpoint
CREATE UNIQUE INDEX "policy_signatures_fingerprint_unique" ON "policy_signatures" USING btree ("policy_hash","fingerprint");--> statement-breakpoint
ALTER TABLE "operations" DROP CONSTRAINT "operations_status_check";--> statement-breakpoint
ALTER TABLE "operations" ADD CONSTRAINT "operations_status_check" CHECK ("operations"."status" in ('pending_approval', 'queued', 'signed', 'broadcast', 'confirmed', 'failed'));
