-- audit_log_partitions: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION audit_log_partitions(now timestamptz, kept_months integer) RETURNS jsonb LANGUAGE plpgsql AS $$
-- The upkeep of audit_log, partitioned by month of occurred_at (audit_log_yYYYYmMM, months in
-- UTC): the month of `now` and the next one get their partitions, moving in whatever rows the
-- default partition caught for them (written while no partition was there); partitions wholly
-- older than `kept_months` months before now are detached into the schema `archive`, where they
-- stay, out of the API's reach, until an operator exports and drops them (docs/operators.md,
-- "Partitioned tables"). Run by the daily job; returns the partitions created and archived.
DECLARE
  this_month constant timestamptz := date_trunc('month', now AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  kept_from constant timestamptz := this_month - make_interval(months => kept_months);
  created text[] := '{}';
  archived text[] := '{}';
  lo timestamptz;
  hi timestamptz;
  part text;
  upper_bound timestamptz;
BEGIN
  FOR k IN 0 .. 1 LOOP
    lo := this_month + make_interval(months => k);
    hi := lo + interval '1 month';
    part := format('audit_log_y%sm%s', to_char(lo AT TIME ZONE 'UTC', 'YYYY'), to_char(lo AT TIME ZONE 'UTC', 'MM'));
    CONTINUE WHEN to_regclass(part) IS NOT NULL;
    -- A range the first partition (the table as it was) already holds needs none.
    CONTINUE WHEN EXISTS (
      SELECT 1 FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
      WHERE i.inhparent = 'audit_log'::regclass AND c.relname = 'audit_log_p0'
        AND substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)')::timestamptz >= hi);
    EXECUTE format('CREATE TABLE %I (LIKE audit_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
    EXECUTE format('WITH moved AS (DELETE FROM audit_log_default WHERE occurred_at >= %L AND occurred_at < %L RETURNING *)
                    INSERT INTO %I SELECT * FROM moved', lo, hi, part);
    EXECUTE format('ALTER TABLE audit_log ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    created := created || part;
  END LOOP;
  FOR part, upper_bound IN
    SELECT c.relname, substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)')::timestamptz
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'audit_log'::regclass AND c.relname <> 'audit_log_default'
  LOOP
    CONTINUE WHEN upper_bound > kept_from;
    EXECUTE format('ALTER TABLE audit_log DETACH PARTITION %I', part);
    EXECUTE format('ALTER TABLE %I SET SCHEMA archive', part);
    archived := archived || part;
  END LOOP;
  RETURN jsonb_build_object('created', to_jsonb(created), 'archived', to_jsonb(archived));
END $$;
