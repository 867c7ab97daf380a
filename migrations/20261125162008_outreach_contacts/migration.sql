CREATE TYPE "outreach_channel" AS ENUM('SMS', 'WHATSAPP', 'CALL', 'VISIT', 'APP_PUSH');--> statement-breakpoint
CREATE TYPE "outreach_outcome" AS ENUM('REACHED', 'PROMISED_TO_PAY', 'DECLINED', 'NO_ANSWER', 'WRONG_CONTACT');--> statement-breakpoint
CREATE TABLE "outreach_contacts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "outreach_contacts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"participant_id" bigint NOT NULL,
	"channel" "outreach_channel" NOT NULL,
	"outcome" "outreach_outcome" NOT NULL,
	"note" varchar(500),
	"paid_through_at_contact" date,
	"recorded_by_subject" varchar(160) NOT NULL,
	"recorded_by_role" varchar(32) NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outreach_contacts_note" CHECK ("note" is null or length("note") between 1 and 500)
);
--> statement-breakpoint
CREATE INDEX "outreach_contacts_participant_idx" ON "outreach_contacts" ("participant_id","recorded_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
ALTER TABLE "outreach_contacts" ADD CONSTRAINT "outreach_contacts_participant_id_participants_id_fkey" FOREIGN KEY ("participant_id") REFERENCES "participants"("id");