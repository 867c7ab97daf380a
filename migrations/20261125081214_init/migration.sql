CREATE TYPE "program" AS ENUM('JKK', 'JKM', 'JHT', 'JP', 'JKP');--> statement-breakpoint
CREATE TYPE "ecosystem_code" AS ENUM('VILLAGE', 'MARKET', 'ECOMMERCE', 'UMKM', 'VULNERABLE_WORKERS');--> statement-breakpoint
CREATE TYPE "risk_level" AS ENUM('LOW', 'MEDIUM', 'HIGH');--> statement-breakpoint
CREATE TYPE "segment" AS ENUM('BPU', 'PU', 'JAKON', 'PMI');--> statement-breakpoint
CREATE TYPE "sex" AS ENUM('MALE', 'FEMALE');--> statement-breakpoint
CREATE TYPE "payer_kind" AS ENUM('SELF', 'SPONSOR');--> statement-breakpoint
CREATE TYPE "payment_status" AS ENUM('PENDING', 'SETTLED', 'FAILED', 'REFUNDED');--> statement-breakpoint
CREATE TYPE "region_level" AS ENUM('PROVINCE', 'REGENCY', 'DISTRICT', 'VILLAGE');--> statement-breakpoint
CREATE TYPE "sponsor_kind" AS ENUM('COMPANY', 'GOVERNMENT', 'NGO', 'INDIVIDUAL');--> statement-breakpoint
CREATE TYPE "sponsor_program" AS ENUM('SERTAKAN', 'NYALAKAN', 'CSR', 'OTHER');--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"request_id" varchar(64),
	"actor_id" varchar(128),
	"actor_role" varchar(32),
	"operation" varchar(64) NOT NULL,
	"target_ids" text[] NOT NULL,
	"outcome" varchar(32) NOT NULL,
	"details" jsonb
);
--> statement-breakpoint
CREATE TABLE "ecosystem_targets" (
	"ecosystem_code" "ecosystem_code",
	"year" smallint,
	"active_target" bigint NOT NULL,
	CONSTRAINT "ecosystem_targets_pkey" PRIMARY KEY("ecosystem_code","year"),
	CONSTRAINT "ecosystem_targets_positive" CHECK ("active_target" >= 0),
	CONSTRAINT "ecosystem_targets_year" CHECK ("year" between 2000 and 2100)
);
--> statement-breakpoint
CREATE TABLE "ecosystems" (
	"code" "ecosystem_code" PRIMARY KEY,
	"name" varchar(80) NOT NULL,
	"description" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sponsorship_enrollments" (
	"sponsorship_id" bigint,
	"participant_id" bigint,
	"enrolled_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sponsorship_enrollments_pkey" PRIMARY KEY("sponsorship_id","participant_id")
);
--> statement-breakpoint
CREATE TABLE "participants" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "participants_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"nik" varchar(16) NOT NULL CONSTRAINT "participants_nik_key" UNIQUE,
	"full_name" varchar(150) NOT NULL,
	"birth_date" date NOT NULL,
	"sex" "sex" NOT NULL,
	"phone" varchar(16),
	"segment" "segment" NOT NULL,
	"occupation" varchar(120) NOT NULL,
	"risk_level" "risk_level" NOT NULL,
	"ecosystem_code" "ecosystem_code" NOT NULL,
	"village_code" varchar(13) NOT NULL,
	"reported_monthly_income" bigint NOT NULL,
	"programs" "program"[] NOT NULL,
	"registered_by_id" bigint,
	"sponsor_id" bigint,
	"channel" varchar(40) NOT NULL,
	"paid_through" date,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "participants_nik_format" CHECK ("nik" ~ '^[0-9]{16}$'),
	CONSTRAINT "participants_income" CHECK ("reported_monthly_income" >= 0),
	CONSTRAINT "participants_programs" CHECK (cardinality("programs") > 0),
	CONSTRAINT "participants_paid_through_month" CHECK (extract(day from "paid_through") = 1),
	CONSTRAINT "participants_phone_format" CHECK ("phone" ~ '^\+[1-9][0-9]{7,14}$')
);
--> statement-breakpoint
CREATE TABLE "payment_batches" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payment_batches_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"sponsorship_id" bigint NOT NULL,
	"months" smallint NOT NULL,
	"total" bigint NOT NULL,
	"idempotency_key" varchar(128) NOT NULL CONSTRAINT "payment_batches_idempotency_key" UNIQUE,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_batches_total" CHECK ("total" >= 0),
	CONSTRAINT "payment_batches_months" CHECK ("months" in (1, 3, 6, 12))
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payments_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"participant_id" bigint NOT NULL,
	"months" smallint NOT NULL,
	"coverage_from" date NOT NULL,
	"coverage_through" date NOT NULL,
	"amount" bigint NOT NULL,
	"lines" jsonb NOT NULL,
	"payer" "payer_kind" NOT NULL,
	"payer_sponsor_id" bigint,
	"channel" varchar(40) NOT NULL,
	"external_reference" varchar(128),
	"status" "payment_status" DEFAULT 'PENDING'::"payment_status" NOT NULL,
	"idempotency_key" varchar(128) NOT NULL CONSTRAINT "payments_idempotency_key" UNIQUE,
	"batch_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"settled_at" timestamp with time zone,
	CONSTRAINT "payments_amount" CHECK ("amount" >= 0),
	CONSTRAINT "payments_months" CHECK ("months" in (1, 3, 6, 12)),
	CONSTRAINT "payments_coverage" CHECK ("coverage_through" >= "coverage_from"),
	CONSTRAINT "payments_payer" CHECK (("payer" = 'SPONSOR') = ("payer_sponsor_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "regions" (
	"code" varchar(13) PRIMARY KEY,
	"name" varchar(120) NOT NULL,
	"level" "region_level" NOT NULL,
	"parent_code" varchar(13),
	CONSTRAINT "regions_code_format" CHECK ("code" ~ '^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$')
);
--> statement-breakpoint
CREATE TABLE "sponsors" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sponsors_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" varchar(160) NOT NULL,
	"kind" "sponsor_kind" NOT NULL,
	"program" "sponsor_program" NOT NULL,
	"contact_email" varchar(254),
	"contact_phone" varchar(16),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sponsorships" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sponsorships_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"sponsor_id" bigint NOT NULL,
	"programs" "program"[] NOT NULL,
	"months_per_period" smallint NOT NULL,
	"max_participants" integer NOT NULL,
	"budget" bigint NOT NULL,
	"spent" bigint DEFAULT 0 NOT NULL,
	"starts_on" date NOT NULL,
	"ends_on" date NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sponsorships_money" CHECK ("budget" >= 0 and "spent" >= 0 and "spent" <= "budget"),
	CONSTRAINT "sponsorships_months" CHECK ("months_per_period" in (1, 3, 6, 12)),
	CONSTRAINT "sponsorships_max_participants" CHECK ("max_participants" > 0),
	CONSTRAINT "sponsorships_period" CHECK ("ends_on" >= "starts_on")
);
--> statement-breakpoint
CREATE INDEX "audit_log_occurred_idx" ON "audit_log" ("occurred_at");--> statement-breakpoint
CREATE INDEX "audit_log_targets_idx" ON "audit_log" USING gin ("target_ids");--> statement-breakpoint
CREATE INDEX "sponsorship_enrollments_participant_idx" ON "sponsorship_enrollments" ("participant_id");--> statement-breakpoint
CREATE INDEX "participants_village_idx" ON "participants" ("village_code" text_pattern_ops,"id");--> statement-breakpoint
CREATE INDEX "participants_ecosystem_idx" ON "participants" ("ecosystem_code","id");--> statement-breakpoint
CREATE INDEX "participants_paid_through_idx" ON "participants" ("paid_through","id");--> statement-breakpoint
CREATE INDEX "participants_sponsor_idx" ON "participants" ("sponsor_id","id");--> statement-breakpoint
CREATE INDEX "participants_registered_by_idx" ON "participants" ("registered_by_id","id");--> statement-breakpoint
CREATE INDEX "participants_registered_at_idx" ON "participants" ("registered_at","id");--> statement-breakpoint
CREATE INDEX "participants_name_search_idx" ON "participants" (lower("full_name") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "payment_batches_sponsorship_idx" ON "payment_batches" ("sponsorship_id");--> statement-breakpoint
CREATE INDEX "payments_participant_created_idx" ON "payments" ("participant_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "payments_status_created_idx" ON "payments" ("status","created_at");--> statement-breakpoint
CREATE INDEX "payments_created_idx" ON "payments" ("created_at","id");--> statement-breakpoint
CREATE INDEX "payments_payer_sponsor_idx" ON "payments" ("payer_sponsor_id");--> statement-breakpoint
CREATE INDEX "payments_batch_idx" ON "payments" ("batch_id");--> statement-breakpoint
CREATE INDEX "regions_parent_code_idx" ON "regions" ("parent_code","code");--> statement-breakpoint
CREATE INDEX "sponsors_name_idx" ON "sponsors" ("name");--> statement-breakpoint
CREATE INDEX "sponsorships_sponsor_idx" ON "sponsorships" ("sponsor_id");--> statement-breakpoint
ALTER TABLE "ecosystem_targets" ADD CONSTRAINT "ecosystem_targets_ecosystem_code_ecosystems_code_fkey" FOREIGN KEY ("ecosystem_code") REFERENCES "ecosystems"("code");--> statement-breakpoint
ALTER TABLE "sponsorship_enrollments" ADD CONSTRAINT "sponsorship_enrollments_sponsorship_id_sponsorships_id_fkey" FOREIGN KEY ("sponsorship_id") REFERENCES "sponsorships"("id");--> statement-breakpoint
ALTER TABLE "sponsorship_enrollments" ADD CONSTRAINT "sponsorship_enrollments_participant_id_participants_id_fkey" FOREIGN KEY ("participant_id") REFERENCES "participants"("id");--> statement-breakpoint
ALTER TABLE "participants" ADD CONSTRAINT "participants_ecosystem_code_ecosystems_code_fkey" FOREIGN KEY ("ecosystem_code") REFERENCES "ecosystems"("code");--> statement-breakpoint
ALTER TABLE "participants" ADD CONSTRAINT "participants_village_code_regions_code_fkey" FOREIGN KEY ("village_code") REFERENCES "regions"("code");--> statement-breakpoint
ALTER TABLE "participants" ADD CONSTRAINT "participants_registered_by_id_participants_id_fkey" FOREIGN KEY ("registered_by_id") REFERENCES "participants"("id");--> statement-breakpoint
ALTER TABLE "participants" ADD CONSTRAINT "participants_sponsor_id_sponsors_id_fkey" FOREIGN KEY ("sponsor_id") REFERENCES "sponsors"("id");--> statement-breakpoint
ALTER TABLE "payment_batches" ADD CONSTRAINT "payment_batches_sponsorship_id_sponsorships_id_fkey" FOREIGN KEY ("sponsorship_id") REFERENCES "sponsorships"("id");--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_participant_id_participants_id_fkey" FOREIGN KEY ("participant_id") REFERENCES "participants"("id");--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_payer_sponsor_id_sponsors_id_fkey" FOREIGN KEY ("payer_sponsor_id") REFERENCES "sponsors"("id");--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_batch_id_payment_batches_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "payment_batches"("id");--> statement-breakpoint
ALTER TABLE "regions" ADD CONSTRAINT "regions_parent_code_regions_code_fkey" FOREIGN KEY ("parent_code") REFERENCES "regions"("code");--> statement-breakpoint
ALTER TABLE "sponsorships" ADD CONSTRAINT "sponsorships_sponsor_id_sponsors_id_fkey" FOREIGN KEY ("sponsor_id") REFERENCES "sponsors"("id");