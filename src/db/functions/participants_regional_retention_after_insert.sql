-- participants_regional_retention_after_insert: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION participants_regional_retention_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO regional_retention_rollups AS r (region_code, cohort_month, months_after, region_level, participants)
  SELECT left(n.village_code, l.len), wib_month(n.registered_at), 0, l.level, count(*)
  FROM new_rows n CROSS JOIN (VALUES (1, 2), (2, 5)) AS l(level, len)
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT regional_retention_rollups_key DO UPDATE SET participants = r.participants + excluded.participants;
  RETURN NULL;
END $$;
