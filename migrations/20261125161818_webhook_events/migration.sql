CREATE TABLE "outbox_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "outbox_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"type" varchar(60) NOT NULL,
	"version" smallint NOT NULL,
	"participant_id" bigint,
	"sponsor_id" bigint,
	"data" jsonb NOT NULL,
	"dedupe_key" varchar(200) CONSTRAINT "outbox_events_dedupe_key" UNIQUE,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"relayed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "webhook_attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"delivery_id" bigint NOT NULL,
	"attempt" smallint NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"latency_ms" integer NOT NULL,
	"status_code" smallint,
	"outcome" varchar(20) NOT NULL,
	"error" varchar(500)
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"endpoint_id" bigint NOT NULL,
	"event_id" bigint NOT NULL,
	"event_type" varchar(60) NOT NULL,
	"participant_id" bigint,
	"status" varchar(10) DEFAULT 'PENDING' NOT NULL,
	"attempts" smallint DEFAULT 0 NOT NULL,
	"queued_at" timestamp with time zone,
	"leased_until" timestamp with time zone,
	"last_attempt_at" timestamp with time zone,
	"last_status_code" smallint,
	"last_error" varchar(500),
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_deliveries_endpoint_event" UNIQUE("endpoint_id","event_id"),
	CONSTRAINT "webhook_deliveries_status" CHECK ("status" in ('PENDING', 'DELIVERED', 'FAILED', 'DEAD', 'HELD'))
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_endpoints_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"url" varchar(2048) NOT NULL,
	"description" varchar(200),
	"event_types" text[] NOT NULL,
	"status" varchar(10) DEFAULT 'ACTIVE' NOT NULL,
	"paused_reason" varchar(500),
	"paused_at" timestamp with time zone,
	"owner_subject" varchar(160) NOT NULL,
	"owner_role" varchar(20) NOT NULL,
	"owner_scopes" text[] NOT NULL,
	"owner_region_code" varchar(13),
	"owner_sponsor_id" bigint,
	"owner_participant_id" bigint,
	"owner_api_key_id" bigint,
	"region_code" varchar(13),
	"sponsor_id" bigint,
	"payment_due_days" smallint DEFAULT 7 NOT NULL,
	"secret" varchar(100) NOT NULL,
	"previous_secret" varchar(100),
	"previous_secret_expires_at" timestamp with time zone,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "webhook_endpoints_status" CHECK ("status" in ('ACTIVE', 'PAUSED')),
	CONSTRAINT "webhook_endpoints_due_days" CHECK ("payment_due_days" between 1 and 28)
);
--> statement-breakpoint
CREATE INDEX "outbox_events_unrelayed_idx" ON "outbox_events" ("id") WHERE "relayed_at" is null;--> statement-breakpoint
CREATE INDEX "outbox_events_occurred_idx" ON "outbox_events" ("occurred_at");--> statement-breakpoint
CREATE INDEX "webhook_attempts_delivery_idx" ON "webhook_attempts" ("delivery_id","attempt");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_open_idx" ON "webhook_deliveries" ("endpoint_id","participant_id","event_id") WHERE "status" in ('PENDING', 'FAILED', 'HELD');--> statement-breakpoint
CREATE INDEX "webhook_deliveries_unqueued_idx" ON "webhook_deliveries" ("id") WHERE "queued_at" is null and "status" = 'PENDING';--> statement-breakpoint
CREATE INDEX "webhook_deliveries_event_idx" ON "webhook_deliveries" ("event_id");--> statement-breakpoint
CREATE INDEX "webhook_endpoints_owner_idx" ON "webhook_endpoints" ("owner_subject");--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_webhook_deliveries_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "webhook_deliveries"("id");--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_webhook_endpoints_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id");--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_event_id_outbox_events_id_fkey" FOREIGN KEY ("event_id") REFERENCES "outbox_events"("id");