-- migrate: no-transaction
-- The duplicate rule "same name and birth date" probes a new registration's namesakes born the same
-- day; without this index each daily search step hashed every participant. Built beside the live
-- table without blocking writes (an INVALID leftover of an interrupted build is rebuilt by the migrator).
CREATE INDEX CONCURRENTLY IF NOT EXISTS "participants_namesake_idx" ON "participants" (lower("full_name"),"birth_date");
