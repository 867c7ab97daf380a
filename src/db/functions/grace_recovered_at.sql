-- grace_recovered_at: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION grace_recovered_at(j integer, after1 timestamptz, after2 timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT least(CASE WHEN after1 < wib_month_begins(j + 2) THEN after1 END,
                     CASE WHEN after2 < wib_month_begins(j + 3) THEN after2 END) $$;
