-- The register of outbox dedupe keys: the events' own unique key goes when outbox_events is
-- partitioned (20261205194241_outbox_events_partitioned), since a unique constraint on a
-- partitioned table must hold its partition key.
CREATE TABLE "outbox_dedupe_keys" (
	"dedupe_key" varchar(200) PRIMARY KEY,
	"occurred_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "outbox_dedupe_keys_occurred_idx" ON "outbox_dedupe_keys" ("occurred_at");
--> statement-breakpoint
-- While the release before this one still writes events (a rolling deploy), every event written
-- with a key registers it here too; the partitioning migration drops this trigger.
CREATE FUNCTION outbox_events_register_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO outbox_dedupe_keys (dedupe_key, occurred_at) VALUES (NEW.dedupe_key, NEW.occurred_at)
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER outbox_events_register_key AFTER INSERT ON outbox_events
  FOR EACH ROW WHEN (NEW.dedupe_key IS NOT NULL) EXECUTE FUNCTION outbox_events_register_key();
