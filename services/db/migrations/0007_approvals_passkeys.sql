CREATE TABLE "approver_enrolments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"approver_id" text NOT NULL,
	"code_hash" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "approver_passkeys" (
	"credential_id" text PRIMARY KEY NOT NULL,
	"approver_id" text NOT NULL,
	"public_key_hex" text NOT NULL,
	"cose_public_key" text NOT NULL,
	"counter" bigint NOT NULL,
	"transports" jsonb NOT NULL,
	"enrolment_id" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "webauthn_challenges" (
	"id" uuid PRIMARY KEY NOT NULL,
	"purpose" text NOT NULL,
	"challenge" text NOT NULL,
	"approver_id" text,
	"enrolment_id" uuid,
	"subject_kind" text,
	"subject_id" text,
	"subject_digest" text,
	"nonce" text,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	CONSTRAINT "webauthn_challenges_purpose_check" CHECK ("webauthn_challenges"."purpose" in ('registration', 'sign-in', 'approval'))
);
--> statement-breakpoint
CREATE TABLE "approvals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"subject_kind" text NOT NULL,
	"subject_id" text NOT NULL,
	"subject_digest" text NOT NULL,
	"approver_id" text NOT NULL,
	"credential_id" text NOT NULL,
	"decision" text NOT NULL,
	"reason" text,
	"nonce" text,
	"evidence" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "approvals_subject_kind_check" CHECK ("approvals"."subject_kind" in ('operation', 'policy')),
	CONSTRAINT "approvals_decision_check" CHECK ("approvals"."decision" in ('approve', 'reject')),
	CONSTRAINT "approvals_evidence_check" CHECK ("approvals"."decision" <> 'approve' or "approvals"."evidence" is not null)
);
--> statement-breakpoint
CREATE TABLE "console_sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"csrf_hash" text NOT NULL,
	"approver_id" text NOT NULL,
	"credential_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "approver_passkeys" ADD CONSTRAINT "approver_passkeys_enrolment_id_approver_enrolments_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."approver_enrolments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "approver_enrolments_approver_idx" ON "approver_enrolments" USING btree ("approver_id");--> statement-breakpoint
CREATE INDEX "approver_passkeys_approver_idx" ON "approver_passkeys" USING btree ("approver_id");--> statement-breakpoint
CREATE UNIQUE INDEX "approver_passkeys_public_key_unique" ON "approver_passkeys" USING btree ("public_key_hex");--> statement-breakpoint
CREATE UNIQUE INDEX "webauthn_challenges_challenge_unique" ON "webauthn_challenges" USING btree ("challenge");--> statement-breakpoint
CREATE UNIQUE INDEX "webauthn_challenges_nonce_unique" ON "webauthn_challenges" USING btree ("nonce");--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_one_per_approver" ON "approvals" USING btree ("subject_kind","subject_id","approver_id");--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_nonce_unique" ON "approvals" USING btree ("nonce");
