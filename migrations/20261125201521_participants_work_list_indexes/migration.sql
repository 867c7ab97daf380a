CREATE INDEX "participants_paid_through_village_idx" ON "participants" ("paid_through","village_code" text_pattern_ops,"id");--> statement-breakpoint
CREATE INDEX "participants_registered_by_subject_idx" ON "participants" ("registered_by_subject","paid_through","id") WHERE "registered_by_subject" is not null;--> statement-breakpoint
-- A province is a fraction of a percent of participants: with the default 100 histogram buckets the
-- planner estimates a small province's `village_code` prefix at ~0 rows and prefers the whole-province
-- scan of participants_village_idx over participants_paid_through_village_idx. 1000 buckets estimate it.
ALTER TABLE "participants" ALTER COLUMN "village_code" SET STATISTICS 1000;--> statement-breakpoint
ANALYZE "participants" ("village_code");
