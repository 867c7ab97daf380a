-- Every registration opens the participant's first membership (src/db/functions/participants_first_membership.sql).
CREATE TRIGGER participants_first_membership AFTER INSERT ON participants
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION participants_first_membership();
--> statement-breakpoint
-- Participants registered before memberships existed: one open membership each, as they are today
-- (segment and programs), from their registration day (WIB); KPJ serials in registration order.
INSERT INTO memberships (participant_id, segment, programs, started_on)
SELECT p.id, p.segment, p.programs, (p.registered_at AT TIME ZONE 'Asia/Jakarta')::date
FROM participants p
WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.participant_id = p.id)
ORDER BY p.registered_at, p.id;
