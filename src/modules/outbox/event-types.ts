/** The partner events the API writes, and each payload's version (docs/partners.md "Events"). */
export const eventTypes = [
  "participant.registered",
  "participant.updated",
  "participant.status_changed",
  "participant.payment_due",
  "participant.exited",
  "participant.exit_withdrawn",
  "participant.returned",
  "participant.moved",
  "participant.verified",
  "participant.verification_failed",
  "payment.created",
  "payment.settled",
  "payment.failed",
  "payment.refunded",
  "sponsorship.enrolled",
  "sponsorship.budget_low",
] as const;
export type EventType = (typeof eventTypes)[number];

/** Payload version per type: bumped when a field changes meaning or disappears (additions are not breaking). */
export const eventVersions: Record<EventType, number> = {
  "participant.registered": 1,
  "participant.updated": 1,
  "participant.status_changed": 1,
  "participant.payment_due": 1,
  "participant.exited": 1,
  "participant.exit_withdrawn": 1,
  "participant.returned": 1,
  "participant.moved": 1,
  "participant.verified": 1,
  "participant.verification_failed": 1,
  "payment.created": 1,
  "payment.settled": 1,
  "payment.failed": 1,
  "payment.refunded": 1,
  "sponsorship.enrolled": 1,
  "sponsorship.budget_low": 1,
};

/** Sponsorships report `budget_low` once, when what remains falls below this share of the budget. */
export const budgetLowThresholdPercent = 10;
