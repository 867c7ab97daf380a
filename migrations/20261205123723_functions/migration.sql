-- Functions changed in src/db/functions (npm run db:functions): participants_identity_check.
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
