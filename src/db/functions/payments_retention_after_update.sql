-- payments_retention_after_update: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION payments_retention_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
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
