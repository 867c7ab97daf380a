-- id_partitions_ahead: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION id_partitions_ahead(parent text) RETURNS text[] LANGUAGE plpgsql AS $$
-- Keeps at least two empty partitions of a table partitioned by ranges of id (payments,
-- outbox_events) ahead of the ids taken, 50 M ids each (<parent>_p<k> holds ids from k x 50 M),
-- so an insert always finds its partition. The first partition, <parent>_p0 (the table as it was
-- before partitioning), holds every id below its bound; once it is retired (the outbox drops its
-- oldest partitions), the ids taken alone say where to go on. Run by the daily job and by the
-- migrations that partitioned the tables; returns the partitions it created.
DECLARE
  width constant bigint := 50000000;
  taken bigint := coalesce(pg_sequence_last_value(pg_get_serial_sequence(parent, 'id')), 0);
  first_bound bigint;
  created text[] := '{}';
  k bigint;
BEGIN
  SELECT substring(pg_get_expr(relpartbound, oid) FROM 'TO \(''?(\d+)')::bigint INTO first_bound
  FROM pg_class WHERE oid = to_regclass(format('%s_p0', parent));
  FOR k IN greatest(first_bound, taken) / width .. greatest(taken / width + 2, first_bound / width + 1) LOOP
    CONTINUE WHEN to_regclass(format('%s_p%s', parent, k)) IS NOT NULL;
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)',
                   format('%s_p%s', parent, k), parent, k * width, (k + 1) * width);
    created := created || format('%s_p%s', parent, k);
  END LOOP;
  RETURN created;
END $$;
