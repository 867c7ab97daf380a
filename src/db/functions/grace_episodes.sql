-- grace_episodes: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION grace_episodes(pids bigint[], months date[], settled timestamptz[])
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
