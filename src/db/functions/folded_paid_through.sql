-- folded_paid_through: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION folded_paid_through(paid date) RETURNS date LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN paid IS NOT NULL AND paid < (SELECT fold_before FROM rollup_horizon) THEN DATE '0001-01-01' ELSE paid END
$$;
