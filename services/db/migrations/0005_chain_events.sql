CREATE TABLE "chain_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"chain" text NOT NULL,
	"block_number" integer NOT NULL,
	"block_hash" text NOT NULL,
	"tx_hash" text NOT NULL,
	"log_index" integer NOT NULL,
	"contract" text NOT NULL,
	"subject" text NOT NULL,
	"name" text NOT NULL,
	"args" jsonb NOT NULL,
	"indexed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "chain_events_chain_check" CHECK ("chain_events"."chain" in ('evm', 'tezos'))
);
--> statement-breakpoint
CREATE TABLE "chain_cursors" (
	"chain" text PRIMARY KEY NOT NULL,
	"next_block" integer NOT NULL,
	"head_seen" integer NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "chain_cursors_chain_check" CHECK ("chain_cursors"."chain" in ('evm', 'tezos'))
);
--> statement-breakpoint
CREATE TABLE "chain_blocks" (
	"chain" text NOT NULL,
	"block_number" integer NOT NULL,
	"block_hash" text NOT NULL,
	CONSTRAINT "chain_blocks_chain_block_number_pk" PRIMARY KEY("chain","block_number")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "chain_events_identity_unique" ON "chain_events" USING btree ("chain","block_hash","tx_hash","log_index");--> statement-breakpoint
CREATE INDEX "chain_events_subject_idx" ON "chain_events" USING btree ("chain","subject","block_number");
