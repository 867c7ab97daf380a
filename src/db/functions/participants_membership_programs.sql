-- participants_membership_programs: its current definition, the one place to read or change it. After a
-- change, npm run db:functions writes the migration that brings it to the databases (docs/contributors.md
-- "Database functions"). A participant's programs change (updateParticipant, a sponsorship's terms): the
-- open membership of their segment holds the same programs, on every path that writes them.
CREATE OR REPLACE FUNCTION participants_membership_programs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE memberships SET programs = NEW.programs
  WHERE participant_id = NEW.id AND segment = NEW.segment AND ended_on IS NULL
    AND programs IS DISTINCT FROM NEW.programs;
  RETURN NULL;
END
$$;
