-- retention_outcome_scopes: its current definition, the one place to read or change it. After a change, npm run db:functions
-- writes the migration that brings it to the databases (docs/contributors.md "Database functions").
CREATE OR REPLACE FUNCTION retention_outcome_scopes(village varchar, ecosystem ecosystem_code, sponsor bigint, registrant bigint)
  RETURNS TABLE (scope varchar, scope_key varchar)
  LANGUAGE sql IMMUTABLE AS $$
  SELECT s.scope, s.scope_key FROM (VALUES ('NATIONAL', ''), ('PROVINCE', left(village, 2)), ('REGENCY', left(village, 5)),
    ('ECOSYSTEM', ecosystem::text), ('SPONSOR', sponsor::text), ('REGISTRANT', registrant::text)) AS s(scope, scope_key)
  WHERE s.scope_key IS NOT NULL
$$;
