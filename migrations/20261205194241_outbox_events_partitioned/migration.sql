-- migrate: no-transaction
-- outbox_events becomes a table partitioned by ranges of id, 50 M each (docs/operators.md,
-- "Partitioned tables"), as payments was (20261205191702_payments_partitioned): the table as it is
-- becomes partition outbox_events_p0, for the ids below a bound checked beforehand under a light
-- lock, and the exclusive lock is held only for the swap. Safe to run again if cut off.
--
-- 1. The bound: the first multiple of 50 M at least 25 M ids above the last id taken. NOT VALID.
DO $$
DECLARE
  width constant bigint := 50000000;
  taken bigint;
  bound bigint;
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'outbox_events'::regclass) <> 'r'
     OR EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'outbox_events_p0_bound') THEN
    RETURN;
  END IF;
  taken := greatest(coalesce((SELECT max(id) FROM outbox_events), 0),
                    coalesce(pg_sequence_last_value(pg_get_serial_sequence('outbox_events', 'id')), 0));
  bound := ((taken + width / 2) / width + 1) * width;
  EXECUTE format('ALTER TABLE outbox_events ADD CONSTRAINT outbox_events_p0_bound CHECK (id < %s) NOT VALID', bound);
END $$;
--> statement-breakpoint
-- 2. Checked against every row under SHARE UPDATE EXCLUSIVE: reads and writes go on meanwhile.
DO $$
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'outbox_events'::regclass) = 'r' THEN
    ALTER TABLE outbox_events VALIDATE CONSTRAINT outbox_events_p0_bound;
  END IF;
END $$;
--> statement-breakpoint
-- 3. The swap, in one transaction (see the payments migration for each step's reason).
DO $$
DECLARE
  bound bigint;
  next_id bigint;
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'outbox_events'::regclass) <> 'r' THEN
    RETURN;
  END IF;
  -- lock-ok: held only for the swap (renames, a parent built empty, an attach its checked bound spares a scan)
  LOCK TABLE outbox_events IN ACCESS EXCLUSIVE MODE;
  bound := substring(pg_get_constraintdef((SELECT oid FROM pg_constraint WHERE conname = 'outbox_events_p0_bound'))
                     FROM '< \(?(\d+)')::bigint;
  next_id := greatest(coalesce((SELECT max(id) FROM outbox_events), 0),
                      coalesce(pg_sequence_last_value(pg_get_serial_sequence('outbox_events', 'id')), 0)) + 1;

  -- The outbox writers register keys from now on (insertEvents, the event calendar).
  DROP TRIGGER outbox_events_register_key ON outbox_events;
  DROP FUNCTION outbox_events_register_key();

  ALTER TABLE outbox_events RENAME TO outbox_events_p0;
  ALTER TABLE outbox_events_p0 DROP CONSTRAINT outbox_events_dedupe_key;
  ALTER TABLE outbox_events_p0 ALTER COLUMN id DROP IDENTITY;
  ALTER INDEX outbox_events_pkey RENAME TO outbox_events_p0_pkey;
  ALTER INDEX outbox_events_occurred_idx RENAME TO outbox_events_p0_occurred_idx;
  ALTER INDEX outbox_events_unrelayed_idx RENAME TO outbox_events_p0_unrelayed_idx;

  CREATE TABLE outbox_events (LIKE outbox_events_p0 INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (id);
  ALTER TABLE outbox_events DROP CONSTRAINT outbox_events_p0_bound;
  ALTER TABLE outbox_events ADD CONSTRAINT outbox_events_pkey PRIMARY KEY (id);
  CREATE INDEX outbox_events_occurred_idx ON outbox_events (occurred_at);
  CREATE INDEX outbox_events_unrelayed_idx ON outbox_events (id) WHERE relayed_at IS NULL;

  EXECUTE format('ALTER TABLE outbox_events ATTACH PARTITION outbox_events_p0 FOR VALUES FROM (MINVALUE) TO (%s)', bound);
  ALTER TABLE outbox_events_p0 DROP CONSTRAINT outbox_events_p0_bound;
  EXECUTE format('ALTER TABLE outbox_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME outbox_events_id_seq START WITH %s)', next_id);
  PERFORM id_partitions_ahead('outbox_events');

  ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_event_id_outbox_events_id_fkey;
  ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_event_id_outbox_events_id_fkey
    FOREIGN KEY (event_id) REFERENCES outbox_events(id) NOT VALID;
END $$;
--> statement-breakpoint
-- 4. The reference checked under SHARE UPDATE EXCLUSIVE (no write waits).
ALTER TABLE webhook_deliveries VALIDATE CONSTRAINT webhook_deliveries_event_id_outbox_events_id_fkey;
