-- The register of payment idempotency keys: payments' own unique key goes when payments is
-- partitioned (20261205191702_payments_partitioned), since a unique constraint on a partitioned
-- table must hold its partition key.
CREATE TABLE "payment_keys" (
	"idempotency_scope" varchar(160),
	"idempotency_key" varchar(128),
	"payment_id" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "payment_keys_pkey" PRIMARY KEY("idempotency_scope","idempotency_key")
);
--> statement-breakpoint
CREATE INDEX "payment_keys_created_idx" ON "payment_keys" ("created_at");
--> statement-breakpoint
-- While the release before this one still writes payments (a rolling deploy), every payment
-- written registers its key here too, so the register is whole when payments is partitioned.
-- That migration drops this trigger: from then on the payments store registers keys itself.
CREATE FUNCTION payments_register_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO payment_keys (idempotency_scope, idempotency_key, payment_id, created_at)
  VALUES (NEW.idempotency_scope, NEW.idempotency_key, NEW.id, NEW.created_at)
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER payments_register_key AFTER INSERT ON payments FOR EACH ROW EXECUTE FUNCTION payments_register_key();
