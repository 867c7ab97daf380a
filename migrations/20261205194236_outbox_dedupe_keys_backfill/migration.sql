-- migrate: no-transaction
-- The keys of the events kept (every event still in the outbox is within its retention), in
-- batches of ids each committed on its own. Events written since the previous migration
-- registered theirs through its trigger; ON CONFLICT skips them. Safe to run again.
DO $$
DECLARE
  batch constant bigint := 50000;
  next_id bigint;
  last_id bigint;
BEGIN
  SELECT min(id), max(id) INTO next_id, last_id FROM outbox_events;
  WHILE next_id <= last_id LOOP
    INSERT INTO outbox_dedupe_keys (dedupe_key, occurred_at)
    SELECT dedupe_key, occurred_at FROM outbox_events
    WHERE id >= next_id AND id < next_id + batch AND dedupe_key IS NOT NULL
    ON CONFLICT DO NOTHING;
    COMMIT;
    next_id := next_id + batch;
  END LOOP;
END $$;
