-- Functions changed in src/db/functions (npm run db:functions): participants_first_membership.
CREATE OR REPLACE FUNCTION participants_first_membership() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO memberships (participant_id, segment, programs, started_on)
  SELECT n.id, n.segment, n.programs, (n.registered_at AT TIME ZONE 'Asia/Jakarta')::date
  FROM new_rows n
  ORDER BY n.id;
  RETURN NULL;
END
$$;
