ALTER TABLE "national_targets" ADD COLUMN "source" varchar(300);--> statement-breakpoint
ALTER TABLE "ecosystem_targets" ADD COLUMN "source" varchar(300);