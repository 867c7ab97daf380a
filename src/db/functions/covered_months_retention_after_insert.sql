-- covered_months_retention_after_insert: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION covered_months_retention_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
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
