-- covered_months_programs_after_insert: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION covered_months_programs_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO program_months (participant_id, program, month, payment_id)
  SELECT n.participant_id, (l->>'program')::program, n.month, n.payment_id
  FROM new_rows n JOIN payments p ON p.id = n.payment_id CROSS JOIN jsonb_array_elements(p.lines) l;
  RETURN NULL;
END $$;
