CREATE TYPE "membership_end_reason" AS ENUM('MOVED_SEGMENT', 'DEATH', 'RETIREMENT_AGE', 'PERMANENT_TOTAL_DISABILITY', 'LEFT_INDONESIA', 'VOLUNTARY_STOP', 'DUPLICATE');--> statement-breakpoint
CREATE SEQUENCE "public"."kpj_serial" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9999999999 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "memberships" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "memberships_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"participant_id" bigint NOT NULL,
	"kpj" varchar(11) DEFAULT kpj_for(nextval('kpj_serial')) NOT NULL CONSTRAINT "memberships_kpj_key" UNIQUE,
	"segment" "segment" NOT NULL,
	"programs" "program"[] NOT NULL,
	"employer_name" varchar(150),
	"employer_registration_number" varchar(40),
	"started_on" date NOT NULL,
	"ended_on" date,
	"end_reason" "membership_end_reason",
	CONSTRAINT "memberships_kpj_format" CHECK ("kpj" ~ '^[0-9]{11}$'),
	CONSTRAINT "memberships_programs" CHECK (cardinality("programs") > 0),
	CONSTRAINT "memberships_employer_pu_only" CHECK ("segment" = 'PU' or "employer_name" is null),
	CONSTRAINT "memberships_ended_after_start" CHECK ("ended_on" is null or "ended_on" >= "started_on"),
	CONSTRAINT "memberships_end_reason" CHECK (("ended_on" is null) = ("end_reason" is null))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "memberships_open_segment_key" ON "memberships" ("participant_id","segment") WHERE "ended_on" is null;--> statement-breakpoint
CREATE INDEX "memberships_participant_idx" ON "memberships" ("participant_id","started_on","id");--> statement-breakpoint
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_participant_id_participants_id_fkey" FOREIGN KEY ("participant_id") REFERENCES "participants"("id");