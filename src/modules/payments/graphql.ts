import { builder } from "../../builder";
import { rowId } from "../../shared/ids";
import { canSeeParticipant } from "../access/rules";
import { ContributionLine } from "../contributions/graphql";
import { Participant } from "../participants/graphql";
import { Sponsor } from "../sponsors/graphql";
import { countPayments, type PaymentFilter, visiblePayments } from "./store";
import { payerKinds, paymentStatuses } from "./tables";

export const PaymentStatusEnum = builder.enumType("PaymentStatus", { values: paymentStatuses });
export const PayerKindEnum = builder.enumType("PayerKind", { values: payerKinds });

export const Payment = builder.drizzleNode("payments", {
  name: "Payment",
  description: "One contribution payment for one participant, covering 1, 3, 6 or 12 months.",
  id: { column: (payment) => payment.id },
  // A payment is visible to whoever may see its participant.
  select: {
    columns: { participantId: true },
    with: {
      participant: {
        columns: { id: true, villageCode: true, sponsorId: true, registeredById: true, registeredBySubject: true },
      },
    },
  },
  authScopes: (payment, { viewer }) => canSeeParticipant(viewer, payment.participant),
  fields: (t) => ({
    participant: t.relation("participant", { type: Participant }),
    months: t.exposeInt("months"),
    coverageFrom: t.expose("coverageFrom", { type: "Month", description: "First month this payment covers." }),
    coverageThrough: t.expose("coverageThrough", { type: "Month", description: "Last month this payment covers." }),
    amount: t.expose("amount", { type: "Rupiah" }),
    lines: t.field({
      type: [ContributionLine],
      select: { columns: { lines: true } },
      resolve: (payment) => payment.lines,
    }),
    payer: t.expose("payer", { type: PayerKindEnum }),
    payerSponsor: t.relation("payerSponsor", { nullable: true, type: Sponsor }),
    channel: t.exposeString("channel"),
    externalReference: t.exposeString("externalReference", { nullable: true }),
    status: t.expose("status", { type: PaymentStatusEnum }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    settledAt: t.expose("settledAt", { type: "DateTime", nullable: true }),
  }),
});

const PaymentFilterInput = builder.inputType("PaymentFilter", {
  fields: (t) => ({
    status: t.field({ type: PaymentStatusEnum }),
    channel: t.string({ validate: { maxLength: 40 } }),
    participantId: t.globalID({ for: Participant }),
    payerSponsorId: t.globalID({ for: Sponsor }),
    createdFrom: t.field({ type: "Date" }),
    createdTo: t.field({ type: "Date" }),
  }),
});

function toFilter(input: typeof PaymentFilterInput.$inferInput | null | undefined): PaymentFilter {
  if (!input) return {};
  const { participantId, payerSponsorId, ...rest } = input;
  return {
    ...rest,
    ...(participantId ? { participantId: rowId(participantId.id) ?? -1 } : {}),
    ...(payerSponsorId ? { payerSponsorId: rowId(payerSponsorId.id) ?? -1 } : {}),
  };
}

builder.queryFields((t) => ({
  payment: t.drizzleField({
    type: "payments",
    nullable: true,
    args: { id: t.arg.globalID({ required: true, for: Payment }) },
    resolve: (query, _root, args, ctx) => {
      const id = rowId(args.id.id);
      return id === null ? null : ctx.db.query.payments.findFirst(query({ where: { id } }));
    },
  }),
  payments: t.drizzleConnection({
    type: "payments",
    description: "Payments, newest first.",
    args: { filter: t.arg({ type: PaymentFilterInput }) },
    totalCount: (_parent, args, ctx) => countPayments(ctx.db, toFilter(args.filter), ctx.viewer),
    resolve: (query, _root, args, ctx) => {
      const filter = toFilter(args.filter);
      return ctx.db.query.payments.findMany(
        query({
          where: { RAW: (table) => visiblePayments(table, filter, ctx.viewer) },
          orderBy: { createdAt: "desc", id: "desc" },
        }),
      );
    },
  }),
}));
