CREATE TABLE "staking_contracts" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"contract_address" text,
	"cold_address" text NOT NULL,
	"hot_address" text NOT NULL,
	"operation_id" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tezos_outbox" (
	"operation_id" uuid PRIMARY KEY NOT NULL,
	"intent" jsonb NOT NULL,
	"forged_bytes" text,
	"signature" text,
	"signed_at_level" integer,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "staking_contracts" ADD CONSTRAINT "staking_contracts_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staking_contracts" ADD CONSTRAINT "staking_contracts_operation_id_operations_id_fk" FOREIGN KEY ("operation_id") REFERENCES "public"."operations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tezos_outbox" ADD CONSTRAINT "tezos_outbox_operation_id_operations_id_fk" FOREIGN KEY ("operation_id") REFERENCES "public"."operations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "staking_contracts_address_unique" ON "staking_contracts" USING btree ("contract_address");--> statement-breakpoint
CREATE INDEX "tezos_outbox_lease_idx" ON "tezos_outbox" USING btree ("lease_until");