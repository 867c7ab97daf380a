-- grace_lapsed: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION grace_lapsed(j integer, after1 timestamptz) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT after1 IS NULL OR after1 >= wib_month_begins(j + 3) $$;
