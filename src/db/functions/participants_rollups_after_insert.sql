-- participants_rollups_after_insert: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION participants_rollups_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO coverage_rollups AS r (region_code, region_level, ecosystem_code, segment, sponsor_program, paid_through, exited, participants)
  SELECT left(n.village_code, l.len), l.level, n.ecosystem_code, n.segment, coalesce(s.program::text, 'NONE'), folded_paid_through(n.paid_through),
         n.exited_on IS NOT NULL, count(*)
  FROM new_rows n
  CROSS JOIN (VALUES (1, 2), (2, 5), (3, 8)) AS l(level, len)
  LEFT JOIN sponsors s ON s.id = n.sponsor_id
  GROUP BY 1, 2, 3, 4, 5, 6, 7
  ORDER BY 1, 2, 3, 4, 5, 6, 7
  ON CONFLICT ON CONSTRAINT coverage_rollups_key DO UPDATE SET participants = r.participants + excluded.participants;

  INSERT INTO retention_rollups AS r (cohort_month, ecosystem_code, months_after, participants)
  SELECT wib_month(n.registered_at), n.ecosystem_code, 0, count(*)
  FROM new_rows n
  GROUP BY 1, 2
  ORDER BY 1, 2
  ON CONFLICT ON CONSTRAINT retention_rollups_key DO UPDATE SET participants = r.participants + excluded.participants;
  RETURN NULL;
END $$;
