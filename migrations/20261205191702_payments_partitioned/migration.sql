-- migrate: no-transaction
-- payments becomes a table partitioned by ranges of id, 50 M ids each (docs/operators.md,
-- "Partitioned tables"), without rewriting a row and with its exclusive lock held only for the
-- swap: the table as it is becomes partition payments_p0, for the ids below a bound checked
-- beforehand under a light lock. Every statement is safe to run again if the migration is cut off.
--
-- 1. The bound: the first multiple of 50 M at least 25 M ids above the last id taken, so payments
--    written until the swap still fall below it. Added NOT VALID: a brief lock, no scan.
DO $$
DECLARE
  width constant bigint := 50000000;
  taken bigint;
  bound bigint;
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'payments'::regclass) <> 'r'
     OR EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'payments_p0_bound') THEN
    RETURN;
  END IF;
  taken := greatest(coalesce((SELECT max(id) FROM payments), 0),
                    coalesce(pg_sequence_last_value(pg_get_serial_sequence('payments', 'id')), 0));
  bound := ((taken + width / 2) / width + 1) * width;
  EXECUTE format('ALTER TABLE payments ADD CONSTRAINT payments_p0_bound CHECK (id < %s) NOT VALID', bound);
END $$;
--> statement-breakpoint
-- 2. Checked against every row under SHARE UPDATE EXCLUSIVE: reads and writes go on meanwhile.
DO $$
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'payments'::regclass) = 'r' THEN
    ALTER TABLE payments VALIDATE CONSTRAINT payments_p0_bound;
  END IF;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION id_partitions_ahead(parent text) RETURNS text[] LANGUAGE plpgsql AS $$
-- Keeps at least two empty partitions of a table partitioned by ranges of id (payments,
-- outbox_events) ahead of the ids taken, 50 M ids each (<parent>_p<k> holds ids from k x 50 M),
-- so an insert always finds its partition. The first partition, <parent>_p0 (the table as it was
-- before partitioning), holds every id below its bound. Run by the daily job and by the migrations
-- that partitioned the tables; returns the partitions it created.
DECLARE
  width constant bigint := 50000000;
  taken bigint := coalesce(pg_sequence_last_value(pg_get_serial_sequence(parent, 'id')), 0);
  first_bound bigint;
  created text[] := '{}';
  k bigint;
BEGIN
  SELECT substring(pg_get_expr(relpartbound, oid) FROM 'TO \(''?(\d+)')::bigint INTO first_bound
  FROM pg_class WHERE oid = format('%s_p0', parent)::regclass;
  FOR k IN greatest(first_bound, taken) / width .. greatest(taken / width + 2, first_bound / width + 1) LOOP
    CONTINUE WHEN to_regclass(format('%s_p%s', parent, k)) IS NOT NULL;
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)',
                   format('%s_p%s', parent, k), parent, k * width, (k + 1) * width);
    created := created || format('%s_p%s', parent, k);
  END LOOP;
  RETURN created;
END $$;
--> statement-breakpoint
-- 3. The swap, in one transaction: rename, a partitioned parent with the same columns, checks,
--    foreign keys and indexes (built on an empty table, then matched to the partition's own, so
--    nothing is built or scanned), the old table attached below its checked bound, the id
--    sequence carried over, two empty partitions ahead, and the references to payments pointed at
--    the parent (NOT VALID: checked in step 4 without the exclusive lock).
DO $$
DECLARE
  width constant bigint := 50000000;
  bound bigint;
  next_id bigint;
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'payments'::regclass) <> 'r' THEN
    RETURN;
  END IF;
  -- lock-ok: held only for the swap (renames, a parent built empty, an attach its checked bound spares a scan)
  LOCK TABLE payments IN ACCESS EXCLUSIVE MODE;
  bound := substring(pg_get_constraintdef((SELECT oid FROM pg_constraint WHERE conname = 'payments_p0_bound'))
                     FROM '< \(?(\d+)')::bigint;
  next_id := greatest(coalesce((SELECT max(id) FROM payments), 0),
                      coalesce(pg_sequence_last_value(pg_get_serial_sequence('payments', 'id')), 0)) + 1;

  -- The store registers keys from now on (insertPaymentRecorded, insertBatchPayments).
  DROP TRIGGER payments_register_key ON payments;
  DROP FUNCTION payments_register_key();
  -- Statement triggers with transition tables belong on the parent, where statements run.
  DROP TRIGGER payments_retention_update ON payments;

  ALTER TABLE payments RENAME TO payments_p0;
  ALTER TABLE payments_p0 DROP CONSTRAINT payments_idempotency_key;
  ALTER TABLE payments_p0 ALTER COLUMN id DROP IDENTITY;
  ALTER INDEX payments_pkey RENAME TO payments_p0_pkey;
  ALTER INDEX payments_batch_idx RENAME TO payments_p0_batch_idx;
  ALTER INDEX payments_created_idx RENAME TO payments_p0_created_idx;
  ALTER INDEX payments_participant_created_idx RENAME TO payments_p0_participant_created_idx;
  ALTER INDEX payments_payer_sponsor_idx RENAME TO payments_p0_payer_sponsor_idx;
  ALTER INDEX payments_status_created_idx RENAME TO payments_p0_status_created_idx;

  CREATE TABLE payments (LIKE payments_p0 INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (id);
  ALTER TABLE payments DROP CONSTRAINT payments_p0_bound;
  ALTER TABLE payments ADD CONSTRAINT payments_pkey PRIMARY KEY (id);
  CREATE INDEX payments_batch_idx ON payments (batch_id);
  CREATE INDEX payments_created_idx ON payments (created_at, id);
  CREATE INDEX payments_participant_created_idx ON payments (participant_id, created_at DESC NULLS LAST, id DESC NULLS LAST);
  CREATE INDEX payments_payer_sponsor_idx ON payments (payer_sponsor_id);
  CREATE INDEX payments_status_created_idx ON payments (status, created_at);
  ALTER TABLE payments ADD CONSTRAINT payments_batch_id_payment_batches_id_fkey FOREIGN KEY (batch_id) REFERENCES payment_batches(id);
  ALTER TABLE payments ADD CONSTRAINT payments_participant_id_participants_id_fkey FOREIGN KEY (participant_id) REFERENCES participants(id);
  ALTER TABLE payments ADD CONSTRAINT payments_payer_sponsor_id_sponsors_id_fkey FOREIGN KEY (payer_sponsor_id) REFERENCES sponsors(id);

  EXECUTE format('ALTER TABLE payments ATTACH PARTITION payments_p0 FOR VALUES FROM (MINVALUE) TO (%s)', bound);
  ALTER TABLE payments_p0 DROP CONSTRAINT payments_p0_bound;
  EXECUTE format('ALTER TABLE payments ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME payments_id_seq START WITH %s)', next_id);
  PERFORM id_partitions_ahead('payments');

  CREATE TRIGGER payments_retention_update AFTER UPDATE ON payments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION payments_retention_after_update();

  ALTER TABLE covered_months DROP CONSTRAINT covered_months_payment_id_payments_id_fkey;
  ALTER TABLE covered_months ADD CONSTRAINT covered_months_payment_id_payments_id_fkey FOREIGN KEY (payment_id) REFERENCES payments(id) NOT VALID;
  ALTER TABLE program_months DROP CONSTRAINT program_months_payment_id_payments_id_fkey;
  ALTER TABLE program_months ADD CONSTRAINT program_months_payment_id_payments_id_fkey FOREIGN KEY (payment_id) REFERENCES payments(id) NOT VALID;
  ALTER TABLE payment_events DROP CONSTRAINT payment_events_payment_id_payments_id_fkey;
  ALTER TABLE payment_events ADD CONSTRAINT payment_events_payment_id_payments_id_fkey FOREIGN KEY (payment_id) REFERENCES payments(id) NOT VALID;
END $$;
--> statement-breakpoint
-- 4. The references checked, each under SHARE UPDATE EXCLUSIVE (no write waits).
ALTER TABLE covered_months VALIDATE CONSTRAINT covered_months_payment_id_payments_id_fkey;
--> statement-breakpoint
ALTER TABLE program_months VALIDATE CONSTRAINT program_months_payment_id_payments_id_fkey;
--> statement-breakpoint
ALTER TABLE payment_events VALIDATE CONSTRAINT payment_events_payment_id_payments_id_fkey;
