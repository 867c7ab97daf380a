-- One clock (issue #25): every timestamp the API stores comes from its injected Clock, passed as a
-- parameter. Without defaults the database has no clock of its own to disagree with it: an insert
-- that forgets its timestamp fails loudly instead of being stamped with the server's now().
-- DROP DEFAULT only edits the catalogue (no table rewrite, no scan).
ALTER TABLE "api_keys" ALTER COLUMN "created_at" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "audit_log" ALTER COLUMN "occurred_at" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "enrollment_batches" ALTER COLUMN "created_at" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "sponsorship_enrollments" ALTER COLUMN "enrolled_at" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "outbox_events" ALTER COLUMN "occurred_at" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ALTER COLUMN "created_at" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ALTER COLUMN "created_at" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "outreach_contacts" ALTER COLUMN "recorded_at" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "participants" ALTER COLUMN "registered_at" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "participants" ALTER COLUMN "updated_at" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "payment_batches" ALTER COLUMN "created_at" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "payment_events" ALTER COLUMN "received_at" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "payments" ALTER COLUMN "created_at" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "sponsors" ALTER COLUMN "created_at" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "sponsorships" ALTER COLUMN "created_at" DROP DEFAULT;