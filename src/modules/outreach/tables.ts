import { sql } from "drizzle-orm";
import { bigint, check, date, index, pgEnum, pgTable, timestamp, varchar } from "drizzle-orm/pg-core";
import { participants } from "../participants/tables";

export const outreachChannels = ["SMS", "WHATSAPP", "CALL", "VISIT", "APP_PUSH"] as const;
export type OutreachChannel = (typeof outreachChannels)[number];
export const outreachChannelEnum = pgEnum("outreach_channel", outreachChannels);

/** What came of reaching out: whether the worker was reached, and what they said. */
export const outreachOutcomes = ["REACHED", "PROMISED_TO_PAY", "DECLINED", "NO_ANSWER", "WRONG_CONTACT"] as const;
export type OutreachOutcome = (typeof outreachOutcomes)[number];
export const outreachOutcomeEnum = pgEnum("outreach_outcome", outreachOutcomes);

/**
 * One attempt to reach a worker about their contributions (an officer's visit, a partner's SMS, a
 * registrant's call). Sending is the partner's job; the API records it, so that recovery can be
 * measured with and without outreach. The worker's paid-through month at the time is kept: what
 * the status was when someone reached out.
 */
export const outreachContacts = pgTable(
  "outreach_contacts",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    participantId: bigint("participant_id", { mode: "number" })
      .notNull()
      .references(() => participants.id),
    channel: outreachChannelEnum("channel").notNull(),
    outcome: outreachOutcomeEnum("outcome").notNull(),
    note: varchar("note", { length: 500 }),
    paidThroughAtContact: date("paid_through_at_contact", { mode: "string" }),
    recordedBySubject: varchar("recorded_by_subject", { length: 160 }).notNull(),
    recordedByRole: varchar("recorded_by_role", { length: 32 }).notNull(),
    recordedAt: timestamp("recorded_at", { withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [
    // A worker's history, newest first.
    index("outreach_contacts_participant_idx").on(t.participantId, t.recordedAt.desc(), t.id.desc()),
    check("outreach_contacts_note", sql`${t.note} is null or length(${t.note}) between 1 and 500`),
  ],
);
