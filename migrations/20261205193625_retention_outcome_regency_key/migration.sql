-- migrate: no-transaction
-- The rollup's key with the regency, built beside the old one without blocking writes; the next
-- migration makes it the key.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS retention_outcome_rollups_regency_key
  ON retention_outcome_rollups (scope, scope_key, regency_code, month);
