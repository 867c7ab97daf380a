-- outreach_contacts_retention_after_insert: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION outreach_contacts_retention_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
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
