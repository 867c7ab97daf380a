-- grace_begins: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION grace_begins(j integer, s timestamptz, after1 timestamptz) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT s < wib_month_begins(j + 1) AND (after1 IS NULL OR after1 >= wib_month_begins(j + 1)) $$;
