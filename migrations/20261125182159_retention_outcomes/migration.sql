CREATE TABLE "retention_outcome_rollups" (
	"month" date NOT NULL,
	"scope" varchar(12) NOT NULL,
	"scope_key" varchar(24) NOT NULL,
	"entered" bigint NOT NULL,
	"entered_with_outreach" bigint NOT NULL,
	"recovered" bigint NOT NULL,
	"recovered_with_outreach" bigint NOT NULL,
	"lapsed" bigint NOT NULL,
	"won_back" bigint NOT NULL,
	CONSTRAINT "retention_outcome_rollups_key" UNIQUE("scope","scope_key","month"),
	CONSTRAINT "retention_outcome_rollups_scope" CHECK ("scope" in ('NATIONAL', 'PROVINCE', 'REGENCY', 'ECOSYSTEM', 'SPONSOR', 'REGISTRANT'))
);
--> statement-breakpoint
-- Retention outcomes (issue #20 item 3). A worker enters GRACE at the start of month m when they
-- were paid through m-1 just before it (status is months in arrears against today: rules.ts). Of
-- that episode: recovered if ACTIVE again (paid through the current month) at some instant before
-- month m+2 starts, when 3 unpaid months make a worker INACTIVE; lapsed if nothing from m on was
-- paid by then; won back if, lapsed, they paid again later; with outreach if someone recorded
-- contact between the start of m and recovery (or the window's end). All of it is a function of
-- covered months, their payments' settled_at and outreach_contacts.recorded_at, never of today,
-- so statement triggers keep it exact; the reader decides whether a month's window has closed.
CREATE FUNCTION wib_month_begins(month_index integer) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT (make_date(month_index / 12, month_index % 12 + 1, 1) - interval '7 hours') AT TIME ZONE 'UTC' $$;
--> statement-breakpoint
CREATE FUNCTION month_of_index(month_index integer) RETURNS date
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT make_date(month_index / 12, month_index % 12 + 1, 1) $$;
--> statement-breakpoint
-- A covered month j (month index) settled at s, with after1/after2 the earliest settlement of any
-- month from j+1 (resp. j+2) on, so "paid through at least k by instant t" is a comparison whatever
-- the order months were paid and refunded in: j begins an episode at j+1 if it was paid and nothing
-- later was when j+1 began; it recovers at the first payment reaching the current month before
-- j+3 begins; it lapses if nothing from j+1 on was paid by then, and is won back if something was later.
CREATE FUNCTION grace_begins(j integer, s timestamptz, after1 timestamptz) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT s < wib_month_begins(j + 1) AND (after1 IS NULL OR after1 >= wib_month_begins(j + 1)) $$;
--> statement-breakpoint
CREATE FUNCTION grace_recovered_at(j integer, after1 timestamptz, after2 timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT least(CASE WHEN after1 < wib_month_begins(j + 2) THEN after1 END,
                     CASE WHEN after2 < wib_month_begins(j + 3) THEN after2 END) $$;
--> statement-breakpoint
CREATE FUNCTION grace_lapsed(j integer, after1 timestamptz) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT after1 IS NULL OR after1 >= wib_month_begins(j + 3) $$;
--> statement-breakpoint
CREATE FUNCTION grace_won_back(j integer, after1 timestamptz) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT coalesce(after1 >= wib_month_begins(j + 3), false) $$;
--> statement-breakpoint
-- Grace episodes of one or more workers' timelines given as arrays (a null settled_at is a month
-- not covered in that state): what the triggers compare before and after a change.
CREATE FUNCTION grace_episodes(pids bigint[], months date[], settled timestamptz[])
  RETURNS TABLE (participant_id bigint, month integer, recovered_at timestamptz, lapsed boolean, won_back boolean)
  LANGUAGE sql IMMUTABLE AS $$
  SELECT w.pid, w.j + 1, grace_recovered_at(w.j, w.after1, w.after2), grace_lapsed(w.j, w.after1), grace_won_back(w.j, w.after1)
  FROM (
    SELECT u.pid, month_index(u.m) AS j, u.s,
           min(u.s) OVER (PARTITION BY u.pid ORDER BY u.m RANGE BETWEEN interval '1 month' FOLLOWING AND UNBOUNDED FOLLOWING) AS after1,
           min(u.s) OVER (PARTITION BY u.pid ORDER BY u.m RANGE BETWEEN interval '2 months' FOLLOWING AND UNBOUNDED FOLLOWING) AS after2
    FROM unnest(pids, months, settled) AS u(pid, m, s)
    WHERE u.s IS NOT NULL
  ) w
  WHERE grace_begins(w.j, w.s, w.after1)
$$;
--> statement-breakpoint
-- The episodes with their outreach mark; contacts in `unseen_contacts` count as not yet recorded.
CREATE FUNCTION retention_outcome_marks(pids bigint[], months date[], settled timestamptz[], unseen_contacts bigint[])
  RETURNS TABLE (participant_id bigint, month integer, recovered boolean, reached boolean, lapsed boolean, won_back boolean)
  LANGUAGE sql STABLE AS $$
  SELECT e.participant_id, e.month, e.recovered_at IS NOT NULL,
         EXISTS (SELECT 1 FROM outreach_contacts o
                 WHERE o.participant_id = e.participant_id
                   AND o.recorded_at >= wib_month_begins(e.month)
                   AND o.recorded_at < coalesce(e.recovered_at, wib_month_begins(e.month + 2))
                   AND o.id <> ALL (unseen_contacts)),
         e.lapsed, e.won_back
  FROM grace_episodes(pids, months, settled) e
$$;
--> statement-breakpoint
-- The rollup rows an episode counts in: each scope a row of its own.
CREATE FUNCTION retention_outcome_scopes(village varchar, ecosystem ecosystem_code, sponsor bigint, registrant bigint)
  RETURNS TABLE (scope varchar, scope_key varchar)
  LANGUAGE sql IMMUTABLE AS $$
  SELECT s.scope, s.scope_key FROM (VALUES ('NATIONAL', ''), ('PROVINCE', left(village, 2)), ('REGENCY', left(village, 5)),
    ('ECOSYSTEM', ecosystem::text), ('SPONSOR', sponsor::text), ('REGISTRANT', registrant::text)) AS s(scope, scope_key)
  WHERE s.scope_key IS NOT NULL
$$;
--> statement-breakpoint
-- Applies a change of some workers' timelines: their episodes before (-1) and after (+1), counted
-- where they live now, upserted in key order (the lock order every writer shares).
CREATE FUNCTION retention_outcomes_apply(pids bigint[], months date[], before_settled timestamptz[],
    after_settled timestamptz[], unseen_contacts bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO retention_outcome_rollups AS r (scope, scope_key, month, entered, entered_with_outreach, recovered,
    recovered_with_outreach, lapsed, won_back)
  SELECT * FROM (
    SELECT s.scope, s.scope_key, month_of_index(d.month) AS month, sum(d.sign) AS entered,
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
    GROUP BY 1, 2, 3
  ) delta
  WHERE (entered, entered_with_outreach, recovered, recovered_with_outreach, lapsed, won_back) <> (0, 0, 0, 0, 0, 0)
  ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT retention_outcome_rollups_key DO UPDATE SET
    entered = r.entered + excluded.entered,
    entered_with_outreach = r.entered_with_outreach + excluded.entered_with_outreach,
    recovered = r.recovered + excluded.recovered,
    recovered_with_outreach = r.recovered_with_outreach + excluded.recovered_with_outreach,
    lapsed = r.lapsed + excluded.lapsed,
    won_back = r.won_back + excluded.won_back;
END $$;
--> statement-breakpoint
-- Covered months arrive (settlement, a refund's hole closing): the workers' timelines without and with them.
CREATE FUNCTION covered_months_retention_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM retention_outcomes_apply(t.pids, t.months, t.before_settled, t.after_settled, '{}')
  FROM (
    SELECT array_agg(c.participant_id) AS pids, array_agg(c.month) AS months,
           array_agg(CASE WHEN n.month IS NULL THEN p.settled_at END) AS before_settled, array_agg(p.settled_at) AS after_settled
    FROM covered_months c
    JOIN payments p ON p.id = c.payment_id
    LEFT JOIN new_rows n ON n.participant_id = c.participant_id AND n.month = c.month
    WHERE c.participant_id IN (SELECT participant_id FROM new_rows)
  ) t
  WHERE t.pids IS NOT NULL;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Covered months leave (a refund): the timelines with them, then without.
CREATE FUNCTION covered_months_retention_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM retention_outcomes_apply(t.pids, t.months, t.before_settled, t.after_settled, '{}')
  FROM (
    SELECT array_agg(x.participant_id) AS pids, array_agg(x.month) AS months, array_agg(p.settled_at) AS before_settled,
           array_agg(CASE WHEN x.departed THEN NULL ELSE p.settled_at END) AS after_settled
    FROM (
      SELECT c.participant_id, c.month, c.payment_id, false AS departed
      FROM covered_months c WHERE c.participant_id IN (SELECT participant_id FROM old_rows)
      UNION ALL
      SELECT o.participant_id, o.month, o.payment_id, true FROM old_rows o
    ) x
    JOIN payments p ON p.id = x.payment_id
  ) t
  WHERE t.pids IS NOT NULL;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- A settlement stamps settled_at after its months are inserted: the timelines at the old and new times.
CREATE FUNCTION payments_retention_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.settled_at IS DISTINCT FROM n.settled_at) THEN
    RETURN NULL;
  END IF;
  PERFORM retention_outcomes_apply(t.pids, t.months, t.before_settled, t.after_settled, '{}')
  FROM (
    WITH changed AS (
      SELECT n.id, n.participant_id, o.settled_at AS old_settled_at
      FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE o.settled_at IS DISTINCT FROM n.settled_at
    )
    SELECT array_agg(c.participant_id) AS pids, array_agg(c.month) AS months,
           array_agg(CASE WHEN ch.id IS NULL THEN p.settled_at ELSE ch.old_settled_at END) AS before_settled,
           array_agg(p.settled_at) AS after_settled
    FROM covered_months c
    JOIN payments p ON p.id = c.payment_id
    LEFT JOIN changed ch ON ch.id = c.payment_id
    WHERE c.participant_id IN (SELECT participant_id FROM changed)
  ) t
  WHERE t.pids IS NOT NULL;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Outreach recorded: the same timelines, without and with the new contacts.
CREATE FUNCTION outreach_contacts_retention_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM retention_outcomes_apply(t.pids, t.months, t.settled, t.settled, (SELECT array_agg(id) FROM new_rows))
  FROM (
    SELECT array_agg(c.participant_id) AS pids, array_agg(c.month) AS months, array_agg(p.settled_at) AS settled
    FROM covered_months c JOIN payments p ON p.id = c.payment_id
    WHERE c.participant_id IN (SELECT participant_id FROM new_rows)
  ) t
  WHERE t.pids IS NOT NULL;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- A worker who moves, changes ecosystem, sponsor or registrant takes their episodes along.
CREATE FUNCTION participants_retention_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
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
  INSERT INTO retention_outcome_rollups AS r (scope, scope_key, month, entered, entered_with_outreach, recovered,
    recovered_with_outreach, lapsed, won_back)
  SELECT * FROM (
    SELECT s.scope, s.scope_key, month_of_index(d.month) AS month, sum(d.sign) AS entered,
           coalesce(sum(d.sign) FILTER (WHERE d.reached), 0) AS entered_with_outreach,
           coalesce(sum(d.sign) FILTER (WHERE d.recovered), 0) AS recovered,
           coalesce(sum(d.sign) FILTER (WHERE d.recovered AND d.reached), 0) AS recovered_with_outreach,
           coalesce(sum(d.sign) FILTER (WHERE d.lapsed), 0) AS lapsed,
           coalesce(sum(d.sign) FILTER (WHERE d.won_back), 0) AS won_back
    FROM deltas d CROSS JOIN LATERAL retention_outcome_scopes(d.village, d.eco, d.sponsor, d.registrant) s
    GROUP BY 1, 2, 3
  ) delta
  WHERE (entered, entered_with_outreach, recovered, recovered_with_outreach, lapsed, won_back) <> (0, 0, 0, 0, 0, 0)
  ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT retention_outcome_rollups_key DO UPDATE SET
    entered = r.entered + excluded.entered,
    entered_with_outreach = r.entered_with_outreach + excluded.entered_with_outreach,
    recovered = r.recovered + excluded.recovered,
    recovered_with_outreach = r.recovered_with_outreach + excluded.recovered_with_outreach,
    lapsed = r.lapsed + excluded.lapsed,
    won_back = r.won_back + excluded.won_back;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER covered_months_retention_insert AFTER INSERT ON covered_months
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION covered_months_retention_after_insert();
--> statement-breakpoint
CREATE TRIGGER covered_months_retention_delete AFTER DELETE ON covered_months
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION covered_months_retention_after_delete();
--> statement-breakpoint
CREATE TRIGGER payments_retention_update AFTER UPDATE ON payments
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION payments_retention_after_update();
--> statement-breakpoint
CREATE TRIGGER outreach_contacts_retention_insert AFTER INSERT ON outreach_contacts
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION outreach_contacts_retention_after_insert();
--> statement-breakpoint
CREATE TRIGGER participants_retention_update AFTER UPDATE ON participants
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION participants_retention_after_update();
--> statement-breakpoint
-- The recount the daily job compares the rollup with, and the backfill: the same rules as the
-- triggers in one pass over covered months in key order (no per-worker calls).
CREATE FUNCTION retention_outcome_recount()
  RETURNS TABLE (scope varchar, scope_key varchar, month date, entered bigint, entered_with_outreach bigint, recovered bigint,
                 recovered_with_outreach bigint, lapsed bigint, won_back bigint)
  LANGUAGE sql STABLE AS $$
  WITH w AS (
    SELECT c.participant_id AS pid, month_index(c.month) AS j, p.settled_at AS s,
           min(p.settled_at) OVER (PARTITION BY c.participant_id ORDER BY c.month RANGE BETWEEN interval '1 month' FOLLOWING AND UNBOUNDED FOLLOWING) AS after1,
           min(p.settled_at) OVER (PARTITION BY c.participant_id ORDER BY c.month RANGE BETWEEN interval '2 months' FOLLOWING AND UNBOUNDED FOLLOWING) AS after2
    FROM covered_months c JOIN payments p ON p.id = c.payment_id
    WHERE p.settled_at IS NOT NULL
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
  SELECT s.scope, s.scope_key, month_of_index(g.month), sum(g.entered)::bigint, sum(g.entered_with_outreach)::bigint,
         sum(g.recovered)::bigint, sum(g.recovered_with_outreach)::bigint, sum(g.lapsed)::bigint, sum(g.won_back)::bigint
  FROM g CROSS JOIN LATERAL retention_outcome_scopes(g.regency, g.ecosystem_code, g.sponsor_id, g.registered_by_id) s
  GROUP BY 1, 2, 3
$$;
--> statement-breakpoint
-- Databases that already hold payments start with exact outcomes. The backfill sorts and joins
-- every covered month once (67 M at 10 M participants): memory for this transaction only, so it
-- runs in a few large batches instead of thousands of 4 MB ones. The triggers above already hold
-- their tables' locks, so no write slips between the backfill and them.
SET LOCAL work_mem = '512MB';
--> statement-breakpoint
INSERT INTO retention_outcome_rollups (scope, scope_key, month, entered, entered_with_outreach, recovered,
  recovered_with_outreach, lapsed, won_back)
SELECT * FROM retention_outcome_recount() ORDER BY 1, 2, 3;
