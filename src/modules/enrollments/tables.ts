import { bigint, index, pgTable, primaryKey, timestamp } from "drizzle-orm/pg-core";
import { participants } from "../participants/tables";
import { sponsorships } from "../sponsors/tables";

/** Which workers a sponsorship covers (Sertakan): a worker may be covered by several over time. */
export const sponsorshipEnrollments = pgTable(
  "sponsorship_enrollments",
  {
    sponsorshipId: bigint("sponsorship_id", { mode: "number" })
      .notNull()
      .references(() => sponsorships.id),
    participantId: bigint("participant_id", { mode: "number" })
      .notNull()
      .references(() => participants.id),
    enrolledAt: timestamp("enrolled_at", { withTimezone: true, mode: "string" }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.sponsorshipId, t.participantId] }),
    index("sponsorship_enrollments_participant_idx").on(t.participantId),
  ],
);
