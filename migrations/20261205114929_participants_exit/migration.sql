ALTER TABLE "coverage_rollups" ADD COLUMN "exited" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "memberships" ADD COLUMN "jkm_claim_reference" varchar(60);--> statement-breakpoint
ALTER TABLE "participants" ADD COLUMN "exited_on" date;--> statement-breakpoint
DROP INDEX "coverage_rollups_children_idx";--> statement-breakpoint
CREATE INDEX "coverage_rollups_children_idx" ON "coverage_rollups" ("parent_code","ecosystem_code","segment","region_code","sponsor_program","paid_through","exited","participants");--> statement-breakpoint
ALTER TABLE "coverage_rollups" DROP CONSTRAINT "coverage_rollups_key";--> statement-breakpoint
ALTER TABLE "coverage_rollups" ADD CONSTRAINT "coverage_rollups_key" UNIQUE NULLS NOT DISTINCT("region_code","ecosystem_code","segment","sponsor_program","paid_through","exited");