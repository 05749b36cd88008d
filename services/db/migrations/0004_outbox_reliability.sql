CREATE TABLE "evm_attempts" (
	"operation_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"nonce" bigint NOT NULL,
	"tx_hash" text NOT NULL,
	"raw_tx" text NOT NULL,
	"max_fee_per_gas" bigint NOT NULL,
	"max_priority_fee_per_gas" bigint NOT NULL,
	"signed_by" text NOT NULL,
	"signed_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	"sent_block" integer,
	CONSTRAINT "evm_attempts_operation_id_attempt_pk" PRIMARY KEY("operation_id","attempt")
);
--> statement-breakpoint
ALTER TABLE "evm_attempts" ADD CONSTRAINT "evm_attempts_operation_id_operations_id_fk" FOREIGN KEY ("operation_id") REFERENCES "public"."operations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "evm_attempts_tx_hash_unique" ON "evm_attempts" USING btree ("tx_hash");--> statement-breakpoint
CREATE INDEX "evm_attempts_nonce_idx" ON "evm_attempts" USING btree ("nonce");