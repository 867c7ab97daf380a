-- participants_first_membership: its current definition, the one place to read or change it. After a change,
-- npm run db:functions writes the migration that brings it to the databases (docs/contributors.md "Database
-- functions"). Every registration opens the participant's first membership, with its KPJ number, in the same
-- statement (one per statement, for bulk enrollments too): no path into `participants` can forget it.
CREATE OR REPLACE FUNCTION participants_first_membership() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO memberships (participant_id, segment, programs, started_on)
  SELECT n.id, n.segment, n.programs, (n.registered_at AT TIME ZONE 'Asia/Jakarta')::date
  FROM new_rows n
  ORDER BY n.id;
  RETURN NULL;
END
$$;
