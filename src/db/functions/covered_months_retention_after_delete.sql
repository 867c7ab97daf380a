-- covered_months_retention_after_delete: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION covered_months_retention_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
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
