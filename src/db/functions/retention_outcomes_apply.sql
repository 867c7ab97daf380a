-- retention_outcomes_apply: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION retention_outcomes_apply(pids bigint[], months date[], before_settled timestamptz[],
    after_settled timestamptz[], unseen_contacts bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO retention_outcome_rollups AS r (scope, scope_key, regency_code, month, entered, entered_with_outreach, recovered,
    recovered_with_outreach, lapsed, won_back)
  SELECT * FROM (
    SELECT s.scope, s.scope_key, left(p.village_code, 5) AS regency_code, month_of_index(d.month) AS month, sum(d.sign) AS entered,
           coalesce(sum(d.sign) FILTER (WHERE d.reached), 0) AS entered_with_outreach,
           coalesce(sum(d.sign) FILTER (WHERE d.recovered), 0) AS recovered,
           coalesce(sum(d.sign) FILTER (WHERE d.recovered AND d.reached), 0) AS recovered_with_outreach,
           coalesce(sum(d.sign) FILTER (WHERE d.lapsed), 0) AS lapsed,
           coalesce(sum(d.sign) FILTER (WHERE d.won_back), 0) AS won_back
    FROM (
      SELECT k.*, -1 AS sign FROM retention_outcome_marks(pids, months, before_settled, unseen_contacts) k
      UNION ALL
      SELECT k.*, 1 FROM retention_outcome_marks(pids, months, after_settled, '{}') k
    ) d
    JOIN participants p ON p.id = d.participant_id
    CROSS JOIN LATERAL retention_outcome_scopes(p.village_code, p.ecosystem_code, p.sponsor_id, p.registered_by_id) s
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
END $$;
