-- participants_rollups_after_update: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION participants_rollups_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH changed AS (
    SELECT o.village_code AS o_village, o.ecosystem_code AS o_eco, o.segment AS o_seg, o.sponsor_id AS o_sponsor, folded_paid_through(o.paid_through) AS o_paid,
           o.exited_on IS NOT NULL AS o_exited,
           n.village_code AS n_village, n.ecosystem_code AS n_eco, n.segment AS n_seg, n.sponsor_id AS n_sponsor, folded_paid_through(n.paid_through) AS n_paid,
           n.exited_on IS NOT NULL AS n_exited
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.village_code, o.ecosystem_code, o.segment, o.sponsor_id, o.paid_through, o.exited_on IS NOT NULL)
          IS DISTINCT FROM (n.village_code, n.ecosystem_code, n.segment, n.sponsor_id, n.paid_through, n.exited_on IS NOT NULL)
  ), deltas AS (
    SELECT o_village AS village, o_eco AS eco, o_seg AS seg, o_sponsor AS sponsor, o_paid AS paid, o_exited AS exited, -1 AS delta FROM changed
    UNION ALL
    SELECT n_village, n_eco, n_seg, n_sponsor, n_paid, n_exited, 1 FROM changed
  )
  INSERT INTO coverage_rollups AS r (region_code, region_level, ecosystem_code, segment, sponsor_program, paid_through, exited, participants)
  SELECT left(d.village, l.len), l.level, d.eco, d.seg, coalesce(s.program::text, 'NONE'), d.paid, d.exited, sum(d.delta)
  FROM deltas d
  CROSS JOIN (VALUES (1, 2), (2, 5), (3, 8)) AS l(level, len)
  LEFT JOIN sponsors s ON s.id = d.sponsor
  GROUP BY 1, 2, 3, 4, 5, 6, 7
  HAVING sum(d.delta) <> 0
  ORDER BY 1, 2, 3, 4, 5, 6, 7
  ON CONFLICT ON CONSTRAINT coverage_rollups_key DO UPDATE SET participants = r.participants + excluded.participants;

  -- A participant who changes ecosystem takes their cohort membership and coverage marks along.
  WITH moved AS (
    SELECT o.id, wib_month(o.registered_at) AS cohort, o.ecosystem_code AS o_eco, n.ecosystem_code AS n_eco
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE o.ecosystem_code <> n.ecosystem_code
  ), marks AS (
    SELECT m.cohort, m.o_eco, m.n_eco, 0 AS months_after FROM moved m
    UNION ALL
    SELECT m.cohort, m.o_eco, m.n_eco, month_index(c.month) - month_index(m.cohort)
    FROM moved m JOIN covered_months c ON c.participant_id = m.id
    WHERE month_index(c.month) - month_index(m.cohort) IN (1, 3, 6, 12)
  ), deltas AS (
    SELECT cohort, o_eco AS eco, months_after, -1 AS delta FROM marks
    UNION ALL
    SELECT cohort, n_eco, months_after, 1 FROM marks
  )
  INSERT INTO retention_rollups AS r (cohort_month, ecosystem_code, months_after, participants)
  SELECT cohort, eco, months_after, sum(delta) FROM deltas GROUP BY 1, 2, 3 HAVING sum(delta) <> 0
  ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT retention_rollups_key DO UPDATE SET participants = r.participants + excluded.participants;
  RETURN NULL;
END $$;
