-- The open membership keeps the participant's programs (src/db/functions/participants_membership_programs.sql).
CREATE TRIGGER participants_membership_programs AFTER UPDATE OF programs ON participants
  FOR EACH ROW WHEN (OLD.programs IS DISTINCT FROM NEW.programs)
  EXECUTE FUNCTION participants_membership_programs();
