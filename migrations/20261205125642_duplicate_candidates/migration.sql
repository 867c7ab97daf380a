CREATE TYPE "duplicate_resolution" AS ENUM('NOT_DUPLICATE', 'SAME_PERSON');--> statement-breakpoint
CREATE TYPE "duplicate_rule" AS ENUM('SAME_NAME_AND_BIRTH_DATE', 'NIK_ONE_DIGIT_APART', 'SHARED_PHONE', 'SEQUENTIAL_NIKS', 'REGISTRATION_BURST');--> statement-breakpoint
CREATE TABLE "duplicate_candidates" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "duplicate_candidates_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"participant_id" bigint NOT NULL,
	"other_participant_id" bigint NOT NULL,
	"rule" "duplicate_rule" NOT NULL,
	"village_code" varchar(13) NOT NULL,
	"found_at" timestamp with time zone NOT NULL,
	"resolution" "duplicate_resolution",
	"kept_participant_id" bigint,
	"resolved_by" varchar(128),
	"resolved_at" timestamp with time zone,
	CONSTRAINT "duplicate_candidates_pair_key" UNIQUE("participant_id","other_participant_id","rule"),
	CONSTRAINT "duplicate_candidates_pair" CHECK ("participant_id" <> "other_participant_id"),
	CONSTRAINT "duplicate_candidates_resolved" CHECK (("resolution" is null) = ("resolved_at" is null))
);
--> statement-breakpoint
CREATE INDEX "duplicate_candidates_open_idx" ON "duplicate_candidates" ("village_code" text_pattern_ops,"id") WHERE "resolved_at" is null;--> statement-breakpoint
CREATE INDEX "participants_phone_idx" ON "participants" ("phone") WHERE "phone" is not null;--> statement-breakpoint
ALTER TABLE "duplicate_candidates" ADD CONSTRAINT "duplicate_candidates_participant_id_participants_id_fkey" FOREIGN KEY ("participant_id") REFERENCES "participants"("id");--> statement-breakpoint
ALTER TABLE "duplicate_candidates" ADD CONSTRAINT "duplicate_candidates_other_participant_id_participants_id_fkey" FOREIGN KEY ("other_participant_id") REFERENCES "participants"("id");--> statement-breakpoint
ALTER TABLE "duplicate_candidates" ADD CONSTRAINT "duplicate_candidates_kept_participant_id_participants_id_fkey" FOREIGN KEY ("kept_participant_id") REFERENCES "participants"("id");