-- covered_months_programs_after_delete: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION covered_months_programs_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM program_months pm USING old_rows o
  WHERE pm.participant_id = o.participant_id AND pm.month = o.month AND pm.payment_id = o.payment_id;
  RETURN NULL;
END $$;
