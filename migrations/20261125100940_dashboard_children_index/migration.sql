DROP INDEX "coverage_rollups_level_region_idx";--> statement-breakpoint
ALTER TABLE "coverage_rollups" ADD COLUMN "parent_code" varchar(5) GENERATED ALWAYS AS (case region_level when 2 then left(region_code, 2) when 3 then left(region_code, 5) end) STORED;--> statement-breakpoint
CREATE INDEX "coverage_rollups_children_idx" ON "coverage_rollups" ("parent_code","ecosystem_code","segment","region_code","sponsor_program","paid_through","participants");--> statement-breakpoint
-- Index-only scans skip the heap only on pages the visibility map marks all-visible; every
-- settlement updates rollup rows, so vacuum this small, hot table after ~1,000 changes rather
-- than after 20 % of it has changed (the default).
ALTER TABLE "coverage_rollups" SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 1000);
