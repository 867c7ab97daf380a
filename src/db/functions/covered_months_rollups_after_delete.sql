-- covered_months_rollups_after_delete: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION covered_months_rollups_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO monthly_active_rollups AS r (month, province_code, ecosystem_code, participants)
  SELECT c.month, left(p.village_code, 2), p.ecosystem_code, -count(*)
  FROM old_rows c JOIN participants p ON p.id = c.participant_id
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT monthly_active_rollups_key DO UPDATE SET participants = r.participants + excluded.participants;

  INSERT INTO retention_rollups AS r (cohort_month, ecosystem_code, months_after, participants)
  SELECT wib_month(p.registered_at), p.ecosystem_code, month_index(c.month) - month_index(wib_month(p.registered_at)), -count(*)
  FROM old_rows c JOIN participants p ON p.id = c.participant_id
  WHERE month_index(c.month) - month_index(wib_month(p.registered_at)) IN (1, 3, 6, 12)
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT retention_rollups_key DO UPDATE SET participants = r.participants + excluded.participants;
  RETURN NULL;
END $$;
