import { defineRelations } from "drizzle-orm";
import * as tables from "./tables";

export const relations = defineRelations(tables, (r) => ({
  regions: {
    parent: r.one.regions({ from: r.regions.parentCode, to: r.regions.code, alias: "hierarchy" }),
    children: r.many.regions({ from: r.regions.code, to: r.regions.parentCode, alias: "hierarchy" }),
  },
  ecosystems: {
    targets: r.many.ecosystemTargets({ from: r.ecosystems.code, to: r.ecosystemTargets.ecosystemCode }),
    participants: r.many.participants({ from: r.ecosystems.code, to: r.participants.ecosystemCode }),
  },
  ecosystemTargets: {
    ecosystem: r.one.ecosystems({
      from: r.ecosystemTargets.ecosystemCode,
      to: r.ecosystems.code,
      optional: false,
    }),
  },
  sponsors: {
    sponsorships: r.many.sponsorships({ from: r.sponsors.id, to: r.sponsorships.sponsorId }),
    participants: r.many.participants({ from: r.sponsors.id, to: r.participants.sponsorId }),
    payments: r.many.payments({ from: r.sponsors.id, to: r.payments.payerSponsorId }),
  },
  sponsorships: {
    sponsor: r.one.sponsors({ from: r.sponsorships.sponsorId, to: r.sponsors.id, optional: false }),
    participants: r.many.participants({
      from: r.sponsorships.id.through(r.sponsorshipEnrollments.sponsorshipId),
      to: r.participants.id.through(r.sponsorshipEnrollments.participantId),
    }),
    batches: r.many.paymentBatches({ from: r.sponsorships.id, to: r.paymentBatches.sponsorshipId }),
    enrollmentBatches: r.many.enrollmentBatches({ from: r.sponsorships.id, to: r.enrollmentBatches.sponsorshipId }),
  },
  participants: {
    ecosystem: r.one.ecosystems({ from: r.participants.ecosystemCode, to: r.ecosystems.code, optional: false }),
    village: r.one.regions({ from: r.participants.villageCode, to: r.regions.code, optional: false }),
    sponsor: r.one.sponsors({ from: r.participants.sponsorId, to: r.sponsors.id }),
    registeredBy: r.one.participants({
      from: r.participants.registeredById,
      to: r.participants.id,
      alias: "referral",
    }),
    referrals: r.many.participants({ from: r.participants.id, to: r.participants.registeredById, alias: "referral" }),
    payments: r.many.payments({ from: r.participants.id, to: r.payments.participantId }),
    outreachContacts: r.many.outreachContacts({ from: r.participants.id, to: r.outreachContacts.participantId }),
    memberships: r.many.memberships({ from: r.participants.id, to: r.memberships.participantId }),
    identityChecks: r.many.identityChecks({ from: r.participants.id, to: r.identityChecks.participantId }),
  },
  duplicateCandidates: {
    participant: r.one.participants({
      from: r.duplicateCandidates.participantId,
      to: r.participants.id,
      optional: false,
    }),
    otherParticipant: r.one.participants({
      from: r.duplicateCandidates.otherParticipantId,
      to: r.participants.id,
      optional: false,
    }),
    keptParticipant: r.one.participants({ from: r.duplicateCandidates.keptParticipantId, to: r.participants.id }),
  },
  memberships: {
    participant: r.one.participants({ from: r.memberships.participantId, to: r.participants.id, optional: false }),
  },
  outreachContacts: {
    participant: r.one.participants({
      from: r.outreachContacts.participantId,
      to: r.participants.id,
      optional: false,
    }),
  },
  coveredMonths: {
    payment: r.one.payments({ from: r.coveredMonths.paymentId, to: r.payments.id, optional: false }),
  },
  payments: {
    coveredMonths: r.many.coveredMonths({ from: r.payments.id, to: r.coveredMonths.paymentId }),
    participant: r.one.participants({ from: r.payments.participantId, to: r.participants.id, optional: false }),
    payerSponsor: r.one.sponsors({ from: r.payments.payerSponsorId, to: r.sponsors.id }),
    batch: r.one.paymentBatches({ from: r.payments.batchId, to: r.paymentBatches.id }),
  },
  paymentBatches: {
    sponsorship: r.one.sponsorships({
      from: r.paymentBatches.sponsorshipId,
      to: r.sponsorships.id,
      optional: false,
    }),
    payments: r.many.payments({ from: r.paymentBatches.id, to: r.payments.batchId }),
  },
}));

export type Relations = typeof relations;
