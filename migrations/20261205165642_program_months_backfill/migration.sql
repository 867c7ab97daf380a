-- migrate: no-transaction
-- Every month covered before program_months existed was paid for all of its payment's programs.
-- In batches of participants, each committed on its own, so no lock is held for long; rows
-- written since the trigger exists are skipped (ON CONFLICT), and FOR SHARE skips a covered month
-- deleted meanwhile (its program rows went with it) instead of bringing them back. Safe to run
-- again from the start if cut off.
DO $$
DECLARE
  batch constant bigint := 20000;
  next_id bigint := 0;
  last_id bigint;
BEGIN
  SELECT coalesce(max(id), 0) INTO last_id FROM participants;
  WHILE next_id <= last_id LOOP
    INSERT INTO program_months (participant_id, program, month, payment_id)
    SELECT c.participant_id, (l->>'program')::program, c.month, c.payment_id
    FROM (SELECT participant_id, month, payment_id FROM covered_months
          WHERE participant_id > next_id AND participant_id <= next_id + batch FOR SHARE) c
    JOIN payments p ON p.id = c.payment_id
    CROSS JOIN jsonb_array_elements(p.lines) l
    ON CONFLICT DO NOTHING;
    COMMIT;
    next_id := next_id + batch;
  END LOOP;
END $$;
