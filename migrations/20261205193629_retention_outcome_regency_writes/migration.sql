-- The rollup's key becomes (scope, scope_key, regency_code, month), on the index the previous
-- migration built; from here the triggers write each participant's regency, and the recount
-- counts by regency (it takes the regency to recount, null for all). Rows written before stay
-- under '' (everywhere) until the next migration hands them out; reads sum the regencies, so
-- every figure is right meanwhile.
ALTER TABLE retention_outcome_rollups DROP CONSTRAINT retention_outcome_rollups_key,
  ADD CONSTRAINT retention_outcome_rollups_key UNIQUE USING INDEX retention_outcome_rollups_regency_key;
--> statement-breakpoint
DROP FUNCTION retention_outcome_recount();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION retention_outcome_recount(regency varchar)
  RETURNS TABLE (scope varchar, scope_key varchar, regency_code varchar, month date, entered bigint, entered_with_outreach bigint,
                 recovered bigint, recovered_with_outreach bigint, lapsed bigint, won_back bigint)
  LANGUAGE plpgsql STABLE AS $$
-- The retention outcomes recounted from the timelines of one regency's participants (null: of
-- all), counted per scope and regency: what retention_outcome_rollups should hold for them. The
-- regency is written into the statement, so its plan reads that regency's participants by index.
BEGIN
  RETURN QUERY EXECUTE format($recount$
  WITH w AS (
    SELECT c.participant_id AS pid, month_index(c.month) AS j, pay.settled_at AS s,
           min(pay.settled_at) OVER (PARTITION BY c.participant_id ORDER BY c.month RANGE BETWEEN interval '1 month' FOLLOWING AND UNBOUNDED FOLLOWING) AS after1,
           min(pay.settled_at) OVER (PARTITION BY c.participant_id ORDER BY c.month RANGE BETWEEN interval '2 months' FOLLOWING AND UNBOUNDED FOLLOWING) AS after2
    FROM participants pp JOIN covered_months c ON c.participant_id = pp.id JOIN payments pay ON pay.id = c.payment_id
    WHERE pay.settled_at IS NOT NULL AND %s
  ), e AS (
    SELECT w.pid, w.j + 1 AS month, grace_recovered_at(w.j, w.after1, w.after2) AS recovered_at,
           grace_lapsed(w.j, w.after1) AS lapsed, grace_won_back(w.j, w.after1) AS won_back
    FROM w WHERE grace_begins(w.j, w.s, w.after1)
  ), k AS (
    -- Only workers someone has contacted are looked up (most never are).
    SELECT e.pid, e.month, e.recovered_at IS NOT NULL AS recovered, e.lapsed, e.won_back,
           CASE WHEN c.participant_id IS NULL THEN false
                ELSE EXISTS (SELECT 1 FROM outreach_contacts o
                             WHERE o.participant_id = e.pid
                               AND o.recorded_at >= wib_month_begins(e.month)
                               AND o.recorded_at < coalesce(e.recovered_at, wib_month_begins(e.month + 2))) END AS reached
    FROM e LEFT JOIN (SELECT DISTINCT participant_id FROM outreach_contacts) c ON c.participant_id = e.pid
  )
  -- Counted at the finest grain first (regency, ecosystem, sponsor, registrant), then once per scope.
  , g AS (
    SELECT k.month, left(p.village_code, 5) AS regency, p.ecosystem_code, p.sponsor_id, p.registered_by_id,
           count(*) AS entered, count(*) FILTER (WHERE k.reached) AS entered_with_outreach,
           count(*) FILTER (WHERE k.recovered) AS recovered, count(*) FILTER (WHERE k.recovered AND k.reached) AS recovered_with_outreach,
           count(*) FILTER (WHERE k.lapsed) AS lapsed, count(*) FILTER (WHERE k.won_back) AS won_back
    FROM k JOIN participants p ON p.id = k.pid
    GROUP BY 1, 2, 3, 4, 5
  )
  SELECT s.scope, s.scope_key, g.regency::varchar, month_of_index(g.month), sum(g.entered)::bigint,
         sum(g.entered_with_outreach)::bigint, sum(g.recovered)::bigint, sum(g.recovered_with_outreach)::bigint,
         sum(g.lapsed)::bigint, sum(g.won_back)::bigint
  FROM g CROSS JOIN LATERAL retention_outcome_scopes(g.regency, g.ecosystem_code, g.sponsor_id, g.registered_by_id) s
  GROUP BY 1, 2, 3, 4
  $recount$, CASE WHEN regency IS NULL THEN 'true' ELSE format('pp.village_code LIKE %L', regency || '.%') END);
END $$;
--> statement-breakpoint
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
--> statement-breakpoint
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
