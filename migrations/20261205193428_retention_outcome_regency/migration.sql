-- Retention-outcome rows keyed by regency too (#33): a scope's figure becomes the sum of its
-- regencies' rows, so the daily job proves the rollup regency by regency. '' is where every row
-- stands until 20261205193634_retention_outcome_regencies hands the counts to their regencies.
-- A constant default: no rewrite.
ALTER TABLE "retention_outcome_rollups" ADD COLUMN "regency_code" varchar(5) DEFAULT '' NOT NULL;
