-- participants_regional_retention_after_update: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION participants_regional_retention_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A worker who moves to another regency takes their cohort membership and coverage marks along.
  WITH moved AS (
    SELECT o.id, wib_month(o.registered_at) AS cohort, o.village_code AS o_village, n.village_code AS n_village
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE left(o.village_code, 5) <> left(n.village_code, 5)
  ), marks AS (
    SELECT m.cohort, m.o_village, m.n_village, 0 AS months_after FROM moved m
    UNION ALL
    SELECT m.cohort, m.o_village, m.n_village, month_index(c.month) - month_index(m.cohort)
    FROM moved m JOIN covered_months c ON c.participant_id = m.id
    WHERE month_index(c.month) - month_index(m.cohort) IN (1, 3, 6, 12)
  ), deltas AS (
    SELECT cohort, o_village AS village, months_after, -1 AS delta FROM marks
    UNION ALL
    SELECT cohort, n_village, months_after, 1 FROM marks
  )
  INSERT INTO regional_retention_rollups AS r (region_code, cohort_month, months_after, region_level, participants)
  SELECT left(d.village, l.len), d.cohort, d.months_after, l.level, sum(d.delta)
  FROM deltas d CROSS JOIN (VALUES (1, 2), (2, 5)) AS l(level, len)
  GROUP BY 1, 2, 3, 4
  HAVING sum(d.delta) <> 0
  ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT regional_retention_rollups_key DO UPDATE SET participants = r.participants + excluded.participants;
  RETURN NULL;
END $$;
