ALTER TABLE "payment_batches" ADD COLUMN "status" "payment_status" DEFAULT 'PENDING'::"payment_status" NOT NULL;--> statement-breakpoint
ALTER TABLE "payment_batches" ADD COLUMN "channel" varchar(40) DEFAULT 'SPONSOR_BUDGET' NOT NULL;--> statement-breakpoint
ALTER TABLE "payment_batches" ADD COLUMN "external_reference" varchar(128);--> statement-breakpoint
ALTER TABLE "payment_batches" ADD COLUMN "settled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payment_batches" ADD COLUMN "failed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sponsorships" ADD COLUMN "requested_budget" bigint;--> statement-breakpoint
-- Batches written before this change were settled when made (on the sponsor's word): say so.
UPDATE "payment_batches" SET "status" = 'SETTLED', "settled_at" = "created_at";
