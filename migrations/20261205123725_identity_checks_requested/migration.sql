-- Every registration asks the civil registry about the new participant (src/db/functions/participants_identity_check.sql).
CREATE TRIGGER participants_identity_check AFTER INSERT ON participants
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION participants_identity_check();
--> statement-breakpoint
-- Participants registered before verification existed are asked too, oldest first: the relay hands
-- the registry a bounded number a minute, so a large backlog is worked off over hours, not at once.
INSERT INTO identity_checks (participant_id, reason, requested_at, next_attempt_at)
SELECT p.id, 'REGISTRATION', p.registered_at, p.registered_at
FROM participants p
WHERE NOT EXISTS (SELECT 1 FROM identity_checks c WHERE c.participant_id = p.id)
ORDER BY p.registered_at, p.id;
