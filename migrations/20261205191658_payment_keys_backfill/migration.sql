-- migrate: no-transaction
-- The keys of payments made within the days a key is honoured (45, paymentKeyDays in
-- src/modules/payments/tables.ts), in batches of ids each committed on its own, so no lock is held
-- for long. Payments written since the previous migration registered their keys through its
-- trigger; ON CONFLICT skips them. Safe to run again from the start if cut off.
DO $$
DECLARE
  batch constant bigint := 50000;
  since constant timestamptz := now() - interval '45 days';
  next_id bigint;
  last_id bigint;
BEGIN
  SELECT min(id), max(id) INTO next_id, last_id FROM payments WHERE created_at >= since;
  WHILE next_id <= last_id LOOP
    INSERT INTO payment_keys (idempotency_scope, idempotency_key, payment_id, created_at)
    SELECT idempotency_scope, idempotency_key, id, created_at FROM payments
    WHERE id >= next_id AND id < next_id + batch AND created_at >= since
    ON CONFLICT DO NOTHING;
    COMMIT;
    next_id := next_id + batch;
  END LOOP;
END $$;
