CREATE TABLE "covered_months" (
	"participant_id" bigint,
	"month" date,
	"payment_id" bigint NOT NULL,
	CONSTRAINT "covered_months_pkey" PRIMARY KEY("participant_id","month"),
	CONSTRAINT "covered_months_first_day" CHECK (extract(day from "month") = 1)
);
--> statement-breakpoint
CREATE TABLE "payment_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payment_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"channel" varchar(40) NOT NULL,
	"reference" varchar(128) NOT NULL,
	"payment_id" bigint,
	"status" "payment_status" NOT NULL,
	"amount" bigint NOT NULL,
	"currency" varchar(3) NOT NULL,
	"outcome" varchar(32) NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_events_channel_reference" UNIQUE("channel","reference")
);
--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "request_fingerprint" varchar(64);--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "failed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "refunded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "refunded_amount" bigint;--> statement-breakpoint
CREATE INDEX "covered_months_payment_idx" ON "covered_months" ("payment_id");--> statement-breakpoint
CREATE INDEX "payment_events_payment_idx" ON "payment_events" ("payment_id");--> statement-breakpoint
ALTER TABLE "covered_months" ADD CONSTRAINT "covered_months_participant_id_participants_id_fkey" FOREIGN KEY ("participant_id") REFERENCES "participants"("id");--> statement-breakpoint
ALTER TABLE "covered_months" ADD CONSTRAINT "covered_months_payment_id_payments_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "payments"("id");--> statement-breakpoint
ALTER TABLE "payment_events" ADD CONSTRAINT "payment_events_payment_id_payments_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "payments"("id");--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_status_times" CHECK (("status" in ('SETTLED', 'REFUNDED')) = ("settled_at" is not null) and ("status" = 'REFUNDED') = ("refunded_at" is not null));--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_refund" CHECK ("refunded_amount" is null or ("refunded_amount" >= 0 and "refunded_amount" <= "amount"));