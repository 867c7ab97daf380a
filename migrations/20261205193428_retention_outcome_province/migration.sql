-- Retention-outcome rows keyed by province too (#33): a scope's figure becomes the sum of its
-- provinces' rows, so the daily job proves the rollup province by province. '' is where every
-- row stands until 20261205193634_retention_outcome_provinces hands the counts to their provinces.
-- A constant default: no rewrite.
ALTER TABLE "retention_outcome_rollups" ADD COLUMN "province_code" varchar(2) DEFAULT '' NOT NULL;
