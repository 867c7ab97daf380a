-- migrate: no-transaction
-- audit_log becomes a table partitioned by month of occurred_at (docs/operators.md, "Partitioned
-- tables"), without rewriting a row and with its exclusive lock held only for the swap: the table
-- as it is becomes partition audit_log_p0, for the times below a bound checked beforehand under a
-- light lock. Every statement is safe to run again if the migration is cut off.
CREATE SCHEMA IF NOT EXISTS archive;
--> statement-breakpoint
-- 1. The bound: the first day (UTC) of the month after next, so rows written until the swap still
--    fall below it. Added NOT VALID: a brief lock, no scan.
DO $$
DECLARE
  bound timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '2 months';
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'audit_log'::regclass) <> 'r'
     OR EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'audit_log_p0_bound') THEN
    RETURN;
  END IF;
  EXECUTE format('ALTER TABLE audit_log ADD CONSTRAINT audit_log_p0_bound CHECK (occurred_at < %L) NOT VALID', bound);
END $$;
--> statement-breakpoint
-- 2. Checked against every row under SHARE UPDATE EXCLUSIVE: reads and writes go on meanwhile.
DO $$
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'audit_log'::regclass) = 'r' THEN
    ALTER TABLE audit_log VALIDATE CONSTRAINT audit_log_p0_bound;
  END IF;
END $$;
--> statement-breakpoint
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
--> statement-breakpoint
-- 3. The swap, in one transaction: the old table renamed and keyed by the index the previous
--    migration built, a partitioned parent with the same columns and checks, its indexes matched
--    to the partition's own (nothing is built or scanned), the old table attached below its
--    checked bound, the id sequence carried over, and a default partition for months not made yet.
DO $$
DECLARE
  bound timestamptz;
  next_id bigint;
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'audit_log'::regclass) <> 'r' THEN
    RETURN;
  END IF;
  -- lock-ok: held only for the swap (renames, a parent built empty, an attach its checked bound spares a scan)
  LOCK TABLE audit_log IN ACCESS EXCLUSIVE MODE;
  bound := substring(pg_get_constraintdef((SELECT oid FROM pg_constraint WHERE conname = 'audit_log_p0_bound'))
                     FROM '< ''([^'']+)''')::timestamptz;
  next_id := greatest(coalesce((SELECT max(id) FROM audit_log), 0),
                      coalesce(pg_sequence_last_value(pg_get_serial_sequence('audit_log', 'id')), 0)) + 1;

  ALTER TABLE audit_log RENAME TO audit_log_p0;
  ALTER TABLE audit_log_p0 DROP CONSTRAINT audit_log_pkey;
  ALTER TABLE audit_log_p0 ADD CONSTRAINT audit_log_p0_pkey PRIMARY KEY USING INDEX audit_log_id_occurred_idx;
  ALTER TABLE audit_log_p0 ALTER COLUMN id DROP IDENTITY;
  ALTER INDEX audit_log_occurred_idx RENAME TO audit_log_p0_occurred_idx;
  ALTER INDEX audit_log_targets_idx RENAME TO audit_log_p0_targets_idx;

  CREATE TABLE audit_log (LIKE audit_log_p0 INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (occurred_at);
  ALTER TABLE audit_log DROP CONSTRAINT audit_log_p0_bound;
  ALTER TABLE audit_log ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id, occurred_at);
  CREATE INDEX audit_log_occurred_idx ON audit_log (occurred_at);
  CREATE INDEX audit_log_targets_idx ON audit_log USING gin (target_ids);

  EXECUTE format('ALTER TABLE audit_log ATTACH PARTITION audit_log_p0 FOR VALUES FROM (MINVALUE) TO (%L)', bound);
  ALTER TABLE audit_log_p0 DROP CONSTRAINT audit_log_p0_bound;
  EXECUTE format('ALTER TABLE audit_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME audit_log_id_seq START WITH %s)', next_id);
  CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT;
END $$;
