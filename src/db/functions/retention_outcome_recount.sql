-- retention_outcome_recount: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
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
