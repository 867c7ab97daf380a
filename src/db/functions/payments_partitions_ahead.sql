-- payments_partitions_ahead: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION payments_partitions_ahead() RETURNS text[] LANGUAGE plpgsql AS $$
-- Keeps at least two empty partitions of payments ahead of the ids taken, 50 M ids each
-- (payments_p<k> holds ids from k x 50 M), so an insert always finds its partition. The first
-- partition, payments_p0 (the table as it was before partitioning), holds every id below its
-- bound. Run by the daily job and by the migration that partitioned payments; returns the
-- partitions it created.
DECLARE
  width constant bigint := 50000000;
  taken bigint := coalesce(pg_sequence_last_value(pg_get_serial_sequence('payments', 'id')), 0);
  first_bound bigint;
  created text[] := '{}';
  k bigint;
BEGIN
  SELECT substring(pg_get_expr(relpartbound, oid) FROM 'TO \(''?(\d+)')::bigint INTO first_bound
  FROM pg_class WHERE oid = 'payments_p0'::regclass;
  FOR k IN greatest(first_bound, taken) / width .. greatest(taken / width + 2, first_bound / width + 1) LOOP
    CONTINUE WHEN to_regclass(format('payments_p%s', k)) IS NOT NULL;
    EXECUTE format('CREATE TABLE payments_p%s PARTITION OF payments FOR VALUES FROM (%s) TO (%s)',
                   k, k * width, (k + 1) * width);
    created := created || format('payments_p%s', k);
  END LOOP;
  RETURN created;
END $$;
