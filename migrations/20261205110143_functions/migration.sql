-- Functions changed in src/db/functions (npm run db:functions): participants_membership_programs.
CREATE OR REPLACE FUNCTION participants_membership_programs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE memberships SET programs = NEW.programs
  WHERE participant_id = NEW.id AND segment = NEW.segment AND ended_on IS NULL
    AND programs IS DISTINCT FROM NEW.programs;
  RETURN NULL;
END
$$;
