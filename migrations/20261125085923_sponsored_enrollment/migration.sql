CREATE TABLE "enrollment_batches" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "enrollment_batches_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"sponsorship_id" bigint NOT NULL,
	"idempotency_key" varchar(128) NOT NULL CONSTRAINT "enrollment_batches_idempotency_key" UNIQUE,
	"request_fingerprint" varchar(64) NOT NULL,
	"result" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sponsorship_enrollments" ADD COLUMN "ended_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payment_batches" ADD COLUMN "request_fingerprint" varchar(64);--> statement-breakpoint
ALTER TABLE "payment_batches" ADD COLUMN "payment_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "enrollment_batches" ADD CONSTRAINT "enrollment_batches_sponsorship_id_sponsorships_id_fkey" FOREIGN KEY ("sponsorship_id") REFERENCES "sponsorships"("id");