-- Idempotency keys belong to their caller: unique per (caller subject, key), not globally.
ALTER TABLE "enrollment_batches" ADD COLUMN "idempotency_scope" varchar(160) NOT NULL DEFAULT '';--> statement-breakpoint
ALTER TABLE "payment_batches" ADD COLUMN "idempotency_scope" varchar(160) NOT NULL DEFAULT '';--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "idempotency_scope" varchar(160) NOT NULL DEFAULT '';--> statement-breakpoint
-- Existing keys go to the caller the audit log recorded for them, so a retry after the upgrade
-- still replays; keys the log cannot place keep the empty scope, which no caller has.
UPDATE "payments" p SET "idempotency_scope" = a."actor_id"
  FROM "audit_log" a
  WHERE a."operation" = 'payContribution' AND a."outcome" = 'SUCCEEDED' AND a."actor_id" IS NOT NULL
    AND ('payment:' || p."id") = ANY (a."target_ids");--> statement-breakpoint
UPDATE "payment_batches" b SET "idempotency_scope" = a."actor_id"
  FROM "audit_log" a
  WHERE a."operation" = 'paySponsoredContributions' AND a."outcome" = 'SUCCEEDED' AND a."actor_id" IS NOT NULL
    AND ('payment-batch:' || b."id") = ANY (a."target_ids");--> statement-breakpoint
UPDATE "payments" p SET "idempotency_scope" = b."idempotency_scope"
  FROM "payment_batches" b WHERE p."batch_id" = b."id";--> statement-breakpoint
ALTER TABLE "enrollment_batches" ALTER COLUMN "idempotency_scope" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "payment_batches" ALTER COLUMN "idempotency_scope" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "payments" ALTER COLUMN "idempotency_scope" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "enrollment_batches" DROP CONSTRAINT "enrollment_batches_idempotency_key";--> statement-breakpoint
ALTER TABLE "enrollment_batches" ADD CONSTRAINT "enrollment_batches_idempotency_key" UNIQUE("idempotency_scope","idempotency_key");--> statement-breakpoint
ALTER TABLE "payment_batches" DROP CONSTRAINT "payment_batches_idempotency_key";--> statement-breakpoint
ALTER TABLE "payment_batches" ADD CONSTRAINT "payment_batches_idempotency_key" UNIQUE("idempotency_scope","idempotency_key");--> statement-breakpoint
ALTER TABLE "payments" DROP CONSTRAINT "payments_idempotency_key";--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_idempotency_key" UNIQUE("idempotency_scope","idempotency_key");
