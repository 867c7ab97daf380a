CREATE INDEX "participants_sponsor_paid_through_idx" ON "participants" ("sponsor_id","paid_through","village_code" text_pattern_ops,"id") WHERE "sponsor_id" is not null;--> statement-breakpoint
-- Work lists count and page an officer's region from `participants_paid_through_village_idx` alone
-- (index-only scans), which skips the table only for pages the visibility map marks all-visible.
-- Every settled payment moves a worker's `paid_through` (an indexed column: no HOT update), so at
-- the default scale factor (20 %: 2 M dead rows at 10 M participants, days of payments) most pages
-- would be waiting for a vacuum. 1 % keeps the map at most a few hours behind.
ALTER TABLE "participants" SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01);
