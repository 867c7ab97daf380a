CREATE TYPE "identity_check_reason" AS ENUM('REGISTRATION', 'OFFICER_RERUN');--> statement-breakpoint
CREATE TYPE "identity_status" AS ENUM('UNVERIFIED', 'VERIFIED', 'MISMATCH', 'NOT_FOUND', 'DECEASED', 'UNAVAILABLE');--> statement-breakpoint
CREATE TABLE "identity_checks" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "identity_checks_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"participant_id" bigint NOT NULL,
	"reason" "identity_check_reason" NOT NULL,
	"requested_by" varchar(128),
	"requested_at" timestamp with time zone NOT NULL,
	"status" "identity_status" DEFAULT 'UNVERIFIED'::"identity_status" NOT NULL,
	"mismatched_fields" text[],
	"attempts" smallint DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"queued_at" timestamp with time zone,
	"verifier_version" varchar(40),
	"decided_at" timestamp with time zone,
	CONSTRAINT "identity_checks_decided" CHECK (("decided_at" is null) = ("status" = 'UNVERIFIED'))
);
--> statement-breakpoint
ALTER TABLE "participants" ADD COLUMN "identity_status" "identity_status" DEFAULT 'UNVERIFIED'::"identity_status" NOT NULL;--> statement-breakpoint
CREATE INDEX "identity_checks_due_idx" ON "identity_checks" ("next_attempt_at","id") WHERE "decided_at" is null;--> statement-breakpoint
CREATE INDEX "identity_checks_participant_idx" ON "identity_checks" ("participant_id","id");--> statement-breakpoint
ALTER TABLE "identity_checks" ADD CONSTRAINT "identity_checks_participant_id_participants_id_fkey" FOREIGN KEY ("participant_id") REFERENCES "participants"("id");