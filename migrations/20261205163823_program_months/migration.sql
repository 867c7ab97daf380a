CREATE TABLE "program_months" (
	"participant_id" bigint,
	"program" "program",
	"month" date,
	"payment_id" bigint NOT NULL,
	CONSTRAINT "program_months_pkey" PRIMARY KEY("participant_id","program","month"),
	CONSTRAINT "program_months_first_day" CHECK (extract(day from "month") = 1)
);
--> statement-breakpoint
CREATE INDEX "program_months_payment_idx" ON "program_months" ("payment_id","month");--> statement-breakpoint
ALTER TABLE "program_months" ADD CONSTRAINT "program_months_participant_id_participants_id_fkey" FOREIGN KEY ("participant_id") REFERENCES "participants"("id");--> statement-breakpoint
ALTER TABLE "program_months" ADD CONSTRAINT "program_months_payment_id_payments_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "payments"("id");--> statement-breakpoint
-- A payment holding JKK and JKM covers each of its programs on the months it covers: its program
-- rows follow its covered months, whichever path writes them (settlement, batch, refund, hole
-- closing, merge), so no path can forget them.
CREATE FUNCTION covered_months_programs_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO program_months (participant_id, program, month, payment_id)
  SELECT n.participant_id, (l->>'program')::program, n.month, n.payment_id
  FROM new_rows n JOIN payments p ON p.id = n.payment_id CROSS JOIN jsonb_array_elements(p.lines) l;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION covered_months_programs_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM program_months pm USING old_rows o
  WHERE pm.participant_id = o.participant_id AND pm.month = o.month AND pm.payment_id = o.payment_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER covered_months_programs_insert AFTER INSERT ON covered_months
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION covered_months_programs_after_insert();
--> statement-breakpoint
CREATE TRIGGER covered_months_programs_delete AFTER DELETE ON covered_months
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION covered_months_programs_after_delete();
