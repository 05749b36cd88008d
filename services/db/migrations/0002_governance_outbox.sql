CREATE TABLE "evm_nonces" (
	"address" text PRIMARY KEY NOT NULL,
	"next_nonce" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "evm_outbox" (
	"operation_id" uuid PRIMARY KEY NOT NULL,
	"from_address" text NOT NULL,
	"to_address" text NOT NULL,
	"data" text NOT NULL,
	"intent" jsonb NOT NULL,
	"nonce" bigint,
	"raw_tx" text,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "governance_proxies" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"proxy_address" text NOT NULL,
	"factory_address" text NOT NULL,
	"cold_address" text NOT NULL,
	"hot_address" text NOT NULL,
	"salt" text NOT NULL,
	"operation_id" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "evm_outbox" ADD CONSTRAINT "evm_outbox_operation_id_operations_id_fk" FOREIGN KEY ("operation_id") REFERENCES "public"."operations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "governance_proxies" ADD CONSTRAINT "governance_proxies_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "governance_proxies" ADD CONSTRAINT "governance_proxies_operation_id_operations_id_fk" FOREIGN KEY ("operation_id") REFERENCES "public"."operations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "evm_outbox_lease_idx" ON "evm_outbox" USING btree ("lease_until");--> statement-breakpoint
CREATE UNIQUE INDEX "governance_proxies_address_unique" ON "governance_proxies" USING btree ("proxy_address");