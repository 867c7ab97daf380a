-- participants_identity_check: its current definition, the one place to read or change it. After a change,
-- npm run db:functions writes the migration that brings it to the databases (docs/contributors.md "Database
-- functions"). Every registration asks the civil registry about the new participant: a pending check, due at
-- once, that the identity relay hands to its queue. One statement with the registration, on every path
-- (GraphQL, Nyalakan, a sponsor's CSV), so no participant is ever left without one. A row inserted with a
-- decision already (a record brought over from another system, a test's fixture) is not asked again.
CREATE OR REPLACE FUNCTION participants_identity_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO identity_checks (participant_id, reason, requested_at, next_attempt_at)
  SELECT n.id, 'REGISTRATION', n.registered_at, n.registered_at
  FROM new_rows n
  WHERE n.identity_status = 'UNVERIFIED'
  ORDER BY n.id;
  RETURN NULL;
END
$$;
