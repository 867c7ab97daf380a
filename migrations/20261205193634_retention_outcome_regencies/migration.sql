-- migrate: no-transaction
-- Hands the counts kept under '' (everywhere, before the rollup was kept by regency) to their
-- regencies, one regency per transaction, without holding writers off. A regency's share of the
-- '' counts is its recount less what the triggers have written under it since rows were kept by
-- regency, both read in ONE statement (one snapshot; the recount is STABLE, so it
-- reads the statement's snapshot): that difference does not change while writes go on. It is
-- added to the regency's rows and taken from the '' rows, as increments that commute with the
-- triggers' own, so every sum a read makes stays right at each commit. When every regency has its
-- share, the '' rows are zero and are deleted. Safe to run again from the start: a regency already
-- handed out has a share of zero.
DO $$
DECLARE
  regency text;
BEGIN
  FOR regency IN SELECT code FROM regions WHERE level = 'REGENCY' ORDER BY code LOOP
    CREATE TEMP TABLE regency_share ON COMMIT DROP AS
      SELECT coalesce(n.scope, r.scope) AS scope, coalesce(n.scope_key, r.scope_key) AS scope_key,
             coalesce(n.month, r.month) AS month,
             coalesce(n.entered, 0) - coalesce(r.entered, 0) AS entered,
             coalesce(n.entered_with_outreach, 0) - coalesce(r.entered_with_outreach, 0) AS entered_with_outreach,
             coalesce(n.recovered, 0) - coalesce(r.recovered, 0) AS recovered,
             coalesce(n.recovered_with_outreach, 0) - coalesce(r.recovered_with_outreach, 0) AS recovered_with_outreach,
             coalesce(n.lapsed, 0) - coalesce(r.lapsed, 0) AS lapsed,
             coalesce(n.won_back, 0) - coalesce(r.won_back, 0) AS won_back
      FROM retention_outcome_recount(regency) n
      FULL JOIN (SELECT * FROM retention_outcome_rollups WHERE regency_code = regency) r
        ON (r.scope, r.scope_key, r.month) = (n.scope, n.scope_key, n.month);
    INSERT INTO retention_outcome_rollups AS r (scope, scope_key, regency_code, month, entered, entered_with_outreach,
      recovered, recovered_with_outreach, lapsed, won_back)
    SELECT s.scope, s.scope_key, p.code, s.month, p.sign * s.entered, p.sign * s.entered_with_outreach,
           p.sign * s.recovered, p.sign * s.recovered_with_outreach, p.sign * s.lapsed, p.sign * s.won_back
    FROM regency_share s CROSS JOIN (VALUES (regency, 1), ('', -1)) AS p(code, sign)
    WHERE (s.entered, s.entered_with_outreach, s.recovered, s.recovered_with_outreach, s.lapsed, s.won_back) <> (0, 0, 0, 0, 0, 0)
    ORDER BY 1, 2, 3, 4
    ON CONFLICT ON CONSTRAINT retention_outcome_rollups_key DO UPDATE SET
      entered = r.entered + excluded.entered,
      entered_with_outreach = r.entered_with_outreach + excluded.entered_with_outreach,
      recovered = r.recovered + excluded.recovered,
      recovered_with_outreach = r.recovered_with_outreach + excluded.recovered_with_outreach,
      lapsed = r.lapsed + excluded.lapsed,
      won_back = r.won_back + excluded.won_back;
    COMMIT;
  END LOOP;
  DELETE FROM retention_outcome_rollups
  WHERE regency_code = ''
    AND (entered, entered_with_outreach, recovered, recovered_with_outreach, lapsed, won_back) = (0, 0, 0, 0, 0, 0);
END $$;
