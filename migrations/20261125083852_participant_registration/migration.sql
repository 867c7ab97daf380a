ALTER TABLE "participants" ADD COLUMN "registered_by_subject" varchar(128);--> statement-breakpoint
CREATE INDEX "participants_nik_suffix_idx" ON "participants" (right("nik", 4));