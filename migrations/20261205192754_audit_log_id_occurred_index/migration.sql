-- migrate: no-transaction
-- The key audit_log will have once partitioned by month (id, occurred_at: a partitioned table's key
-- holds its partition key), built beside the old one without blocking writes; the next migration
-- makes it the key. In a migration of its own: on a partitioned table it could not be built
-- concurrently, so a cut-off run of the next one must not build it again.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS audit_log_id_occurred_idx ON audit_log (id, occurred_at);
