-- participants_retention_after_update: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION participants_retention_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (left(o.village_code, 5), o.ecosystem_code, o.sponsor_id, o.registered_by_id)
          IS DISTINCT FROM (left(n.village_code, 5), n.ecosystem_code, n.sponsor_id, n.registered_by_id)
  ) THEN
    RETURN NULL;
  END IF;
  WITH moved AS (
    SELECT o.id, o.village_code AS o_village, o.ecosystem_code AS o_eco, o.sponsor_id AS o_sponsor, o.registered_by_id AS o_registrant,
           n.village_code AS n_village, n.ecosystem_code AS n_eco, n.sponsor_id AS n_sponsor, n.registered_by_id AS n_registrant
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (left(o.village_code, 5), o.ecosystem_code, o.sponsor_id, o.registered_by_id)
          IS DISTINCT FROM (left(n.village_code, 5), n.ecosystem_code, n.sponsor_id, n.registered_by_id)
  ), timeline AS (
    SELECT array_agg(c.participant_id) AS pids, array_agg(c.month) AS months, array_agg(p.settled_at) AS settled
    FROM covered_months c JOIN payments p ON p.id = c.payment_id
    WHERE c.participant_id IN (SELECT id FROM moved)
  ), marks AS (
    SELECT k.* FROM timeline t CROSS JOIN LATERAL retention_outcome_marks(t.pids, t.months, t.settled, '{}') k
    WHERE t.pids IS NOT NULL
  ), deltas AS (
    SELECT k.*, -1 AS sign, m.o_village AS village, m.o_eco AS eco, m.o_sponsor AS sponsor, m.o_registrant AS registrant
    FROM marks k JOIN moved m ON m.id = k.participant_id
    UNION ALL
    SELECT k.*, 1, m.n_village, m.n_eco, m.n_sponsor, m.n_registrant
    FROM marks k JOIN moved m ON m.id = k.participant_id
  )
  INSERT INTO retention_outcome_rollups AS r (scope, scope_key, regency_code, month, entered, entered_with_outreach, recovered,
    recovered_with_outreach, lapsed, won_back)
  SELECT * FROM (
    SELECT s.scope, s.scope_key, left(d.village, 5) AS regency_code, month_of_index(d.month) AS month, sum(d.sign) AS entered,
           coalesce(sum(d.sign) FILTER (WHERE d.reached), 0) AS entered_with_outreach,
           coalesce(sum(d.sign) FILTER (WHERE d.recovered), 0) AS recovered,
           coalesce(sum(d.sign) FILTER (WHERE d.recovered AND d.reached), 0) AS recovered_with_outreach,
           coalesce(sum(d.sign) FILTER (WHERE d.lapsed), 0) AS lapsed,
           coalesce(sum(d.sign) FILTER (WHERE d.won_back), 0) AS won_back
    FROM deltas d CROSS JOIN LATERAL retention_outcome_scopes(d.village, d.eco, d.sponsor, d.registrant) s
    GROUP BY 1, 2, 3, 4
  ) delta
  WHERE (entered, entered_with_outreach, recovered, recovered_with_outreach, lapsed, won_back) <> (0, 0, 0, 0, 0, 0)
  ORDER BY 1, 2, 3, 4
  ON CONFLICT ON CONSTRAINT retention_outcome_rollups_key DO UPDATE SET
    entered = r.entered + excluded.entered,
    entered_with_outreach = r.entered_with_outreach + excluded.entered_with_outreach,
    recovered = r.recovered + excluded.recovered,
    recovered_with_outreach = r.recovered_with_outreach + excluded.recovered_with_outreach,
    lapsed = r.lapsed + excluded.lapsed,
    won_back = r.won_back + excluded.won_back;
  RETURN NULL;
END $$;
