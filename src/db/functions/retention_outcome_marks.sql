-- retention_outcome_marks: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION retention_outcome_marks(pids bigint[], months date[], settled timestamptz[], unseen_contacts bigint[])
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
