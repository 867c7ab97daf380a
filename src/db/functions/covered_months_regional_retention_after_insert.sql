-- covered_months_regional_retention_after_insert: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION covered_months_regional_retention_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO regional_retention_rollups AS r (region_code, cohort_month, months_after, region_level, participants)
  SELECT left(p.village_code, l.len), wib_month(p.registered_at), month_index(c.month) - month_index(wib_month(p.registered_at)),
         l.level, count(*)
  FROM new_rows c JOIN participants p ON p.id = c.participant_id
  CROSS JOIN (VALUES (1, 2), (2, 5)) AS l(level, len)
  WHERE month_index(c.month) - month_index(wib_month(p.registered_at)) IN (1, 3, 6, 12)
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT regional_retention_rollups_key DO UPDATE SET participants = r.participants + excluded.participants;
  RETURN NULL;
END $$;
