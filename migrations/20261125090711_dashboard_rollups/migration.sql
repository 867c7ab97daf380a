CREATE TABLE "coverage_rollups" (
	"region_code" varchar(8) NOT NULL,
	"region_level" smallint NOT NULL,
	"ecosystem_code" "ecosystem_code" NOT NULL,
	"segment" "segment" NOT NULL,
	"sponsor_program" varchar(16) NOT NULL,
	"paid_through" date,
	"participants" bigint NOT NULL,
	CONSTRAINT "coverage_rollups_key" UNIQUE NULLS NOT DISTINCT("region_code","ecosystem_code","segment","sponsor_program","paid_through"),
	CONSTRAINT "coverage_rollups_level" CHECK ("region_level" in (1, 2, 3))
);
--> statement-breakpoint
CREATE TABLE "monthly_active_rollups" (
	"month" date NOT NULL,
	"province_code" varchar(2) NOT NULL,
	"ecosystem_code" "ecosystem_code" NOT NULL,
	"participants" bigint NOT NULL,
	CONSTRAINT "monthly_active_rollups_key" UNIQUE("month","province_code","ecosystem_code")
);
--> statement-breakpoint
CREATE TABLE "national_targets" (
	"year" smallint PRIMARY KEY,
	"active_target" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "retention_rollups" (
	"cohort_month" date NOT NULL,
	"ecosystem_code" "ecosystem_code" NOT NULL,
	"months_after" smallint NOT NULL,
	"participants" bigint NOT NULL,
	CONSTRAINT "retention_rollups_key" UNIQUE("cohort_month","ecosystem_code","months_after"),
	CONSTRAINT "retention_rollups_months_after" CHECK ("months_after" in (0, 1, 3, 6, 12))
);
--> statement-breakpoint
CREATE INDEX "coverage_rollups_level_region_idx" ON "coverage_rollups" ("region_level","region_code");