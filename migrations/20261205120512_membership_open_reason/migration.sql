CREATE TYPE "membership_open_reason" AS ENUM('REGISTRATION', 'MOVED_SEGMENT', 'RETURN');--> statement-breakpoint
ALTER TABLE "memberships" ADD COLUMN "open_reason" "membership_open_reason" DEFAULT 'REGISTRATION'::"membership_open_reason" NOT NULL;--> statement-breakpoint
CREATE INDEX "memberships_ended_on_idx" ON "memberships" ("ended_on") WHERE "end_reason" is not null;--> statement-breakpoint
CREATE INDEX "memberships_returns_idx" ON "memberships" ("started_on") WHERE "open_reason" = 'RETURN';