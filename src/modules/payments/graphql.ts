import { builder } from "../../builder";
import { aliased, idArgument, orderingOf, plan } from "../../read-plan/field-plan";
import { predicate } from "../../read-plan/statement";
import { countedConnection } from "../../shared/connections";
import { badUserInput } from "../../shared/errors";
import { encodeGlobalId, rowId } from "../../shared/ids";
import { msg } from "../../shared/messages";
import { ProgramEnum } from "../../shared/program-enums";
import { UserError } from "../../shared/user-error-type";
import { may } from "../access/actions";
import { ContributionLine } from "../contributions/graphql";
import { Participant, participantCheck } from "../participants/graphql";
import { participantVisible } from "../participants/visibility";
import { canSeeSponsor } from "../sponsors/conditions";
import { Sponsor, Sponsorship, sponsorCheck } from "../sponsors/graphql";
import { type BatchResult, paySponsoredContributions, type SettleBatchResult, settlePaymentBatch } from "./batch";
import { type PaymentFilter, paymentConditions, visiblePayments } from "./conditions";
import {
  MAX_RECONCILIATION_DAYS,
  type ReconciliationDay as ReconciliationDayShape,
  type ReconciliationMismatch as ReconciliationMismatchShape,
  reconciliationDays,
} from "./reconciliation";
import {
  type PaymentResult,
  type ProgramPaidThrough,
  payContribution,
  programsPaidThroughOf,
  settlePayment,
} from "./service";
import { countPayments, reconciliationRows } from "./store";
import { payerKinds, paymentStatuses, payments } from "./tables";

export const PaymentStatusEnum = builder.enumType("PaymentStatus", { values: paymentStatuses });
export const PayerKindEnum = builder.enumType("PayerKind", { values: payerKinds });

/** Newest first: every payments connection's ordering, for plugin-drizzle and the read planner. */
const paymentOrder = { createdAt: "desc", id: "desc" } as const;

export const Payment = builder.drizzleNode("payments", {
  name: "Payment",
  description: "One contribution payment for one participant, covering 1, 3, 6 or 12 months.",
  id: { column: (payment) => payment.id },
  // A payment is visible to whoever may see its participant: known without a read when the
  // payment was reached through that participant, looked up (batched) otherwise.
  select: { columns: { participantId: true } },
  authScopes: (payment, ctx) => may(ctx.viewer, "payment:readAll") || participantVisible(ctx, payment.participantId),
  fields: (t) => ({
    participant: t.relation("participant", {
      type: Participant,
      nullable: true,
      description:
        "Null (with one FORBIDDEN error here) when the caller may read the payment but not its worker, e.g. a payments back office.",
      extensions: plan.relation({ check: participantCheck }),
    }),
    months: t.exposeInt("months", { extensions: plan.column(payments.months) }),
    coverageFrom: t.expose("coverageFrom", {
      type: "Month",
      description: "First month this payment covers.",
      extensions: plan.column(payments.coverageFrom),
    }),
    coverageThrough: t.expose("coverageThrough", {
      type: "Month",
      description: "Last month this payment covers.",
      extensions: plan.column(payments.coverageThrough),
    }),
    amount: t.expose("amount", { type: "Rupiah", extensions: plan.column(payments.amount) }),
    lines: t.field({
      type: [ContributionLine],
      select: { columns: { lines: true } },
      resolve: (payment) => payment.lines,
      extensions: plan.embedded({
        from: (row, element) =>
          `jsonb_array_elements(${row}."${payments.lines.name}") with ordinality as ${element}(line, ord)`,
        order: (element) => `${element}.ord`,
      }),
    }),
    payer: t.expose("payer", { type: PayerKindEnum, extensions: plan.column(payments.payer) }),
    payerSponsor: t.relation("payerSponsor", {
      nullable: true,
      type: Sponsor,
      extensions: plan.relation({ check: sponsorCheck }),
    }),
    channel: t.expose("channel", { type: "PaymentChannel", extensions: plan.column(payments.channel) }),
    externalReference: t.exposeString("externalReference", {
      nullable: true,
      extensions: plan.column(payments.externalReference),
    }),
    status: t.expose("status", { type: PaymentStatusEnum, extensions: plan.column(payments.status) }),
    createdAt: t.expose("createdAt", { type: "DateTime", extensions: plan.column(payments.createdAt) }),
    settledAt: t.expose("settledAt", {
      type: "DateTime",
      nullable: true,
      extensions: plan.column(payments.settledAt),
    }),
    refundedAt: t.expose("refundedAt", {
      type: "DateTime",
      nullable: true,
      extensions: plan.column(payments.refundedAt),
    }),
    refundedAmount: t.expose("refundedAmount", {
      type: "Rupiah",
      nullable: true,
      extensions: plan.column(payments.refundedAmount),
      description:
        "What a refund returned: the monthly contribution of each month not yet used when it was refunded (the current and past months stay covered).",
    }),
  }),
});

/** Every list of payments (a participant's, a batch's, everyone's) is one `PaymentConnection` of `PaymentEdge`. */
export const PaymentConnection = countedConnection("PaymentConnection", Payment);

const PaymentFilterInput = builder.inputType("PaymentFilter", {
  fields: (t) => ({
    status: t.field({ type: PaymentStatusEnum }),
    channel: t.field({ type: "PaymentChannel" }),
    participantId: t.globalID({ for: Participant }),
    payerSponsorId: t.globalID({ for: Sponsor }),
    payer: t.field({ type: PayerKindEnum }),
    createdFrom: t.field({ type: "Date" }),
    createdTo: t.field({ type: "Date" }),
  }),
});

/** The filter argument as the read planner receives it (global IDs not yet decoded), then `toPaymentFilter`. */
function plannedPaymentFilter(raw: unknown): PaymentFilter {
  if (raw === null || raw === undefined) return {};
  const input = raw as Record<string, unknown>;
  const decode = (id: unknown, typeName: string) =>
    typeof id === "string" ? { typename: typeName, id: String(idArgument(id, typeName)) } : id;
  return toPaymentFilter({
    ...input,
    participantId: decode(input.participantId, Participant.name),
    payerSponsorId: decode(input.payerSponsorId, Sponsor.name),
  } as typeof PaymentFilterInput.$inferInput);
}

export function toPaymentFilter(input: typeof PaymentFilterInput.$inferInput | null | undefined): PaymentFilter {
  if (!input) return {};
  const { participantId, payerSponsorId, ...rest } = input;
  return {
    ...rest,
    ...(participantId ? { participantId: rowId(participantId.id) ?? -1 } : {}),
    ...(payerSponsorId ? { payerSponsorId: rowId(payerSponsorId.id) ?? -1 } : {}),
  };
}

const ProgramPaidThroughRef = builder.objectRef<ProgramPaidThrough>("ProgramPaidThrough").implement({
  description:
    "How far one of the participant's programs is paid. A month counts as covered (status, paidThrough, the dashboard's active) when JKK and JKM are paid for it; JHT, JP and JKP are covered on a month only when a payment (the participant's own, a sponsor's, or a part beside a sponsor's) paid them for it.",
  fields: (t) => ({
    program: t.field({ type: ProgramEnum, resolve: (row) => row.program }),
    paidThrough: t.field({
      type: "Month",
      nullable: true,
      description: "The last month this program is paid for; null when never paid.",
      resolve: (row) => row.paidThrough,
    }),
    countsTowardActive: t.boolean({
      description: "Whether this program decides a month's coverage (JKK and JKM do; the others do not).",
      resolve: (row) => row.countsTowardActive,
    }),
  }),
});

// The payments module owns a participant's payments: the field lives here, beside its filter.
builder.drizzleObjectFields(Participant, (t) => ({
  programsPaidThrough: t.field({
    type: [ProgramPaidThroughRef],
    description:
      "Each program the participant joined, with the last month it is paid for: a sponsored worker's JHT shows how far their own part reaches beside the sponsor's JKK and JKM.",
    select: { columns: { programs: true } },
    resolve: (participant, _args, ctx) => programsPaidThroughOf(ctx.db, participant.id, participant.programs),
    extensions: plan.executorOnly("read on one worker's page, not on lists"),
  }),
  payments: t.relatedConnection(
    "payments",
    {
      description: "Contribution payments, newest first.",
      args: { filter: t.arg({ type: PaymentFilterInput }) },
      query: (args) => {
        const filter = toPaymentFilter(args.filter);
        return {
          where: { RAW: (table) => paymentConditions(table, filter) },
          orderBy: paymentOrder,
        };
      },
      totalCount: true,
      extensions: plan.connection({
        where: (child, args) => [
          predicate((input) => paymentConditions(aliased(payments, child), plannedPaymentFilter(args(input).filter))),
        ],
        ordering: () => orderingOf(payments, paymentOrder),
      }),
    },
    PaymentConnection,
  ),
}));

builder.queryFields((t) => ({
  payment: t.drizzleField({
    type: "payments",
    nullable: true,
    description: "Null when no payment has this id or the caller may not see it.",
    args: { id: t.arg.globalID({ required: true, for: Payment }) },
    resolve: (query, _root, args, ctx) => {
      const id = rowId(args.id.id);
      return id === null ? null : ctx.db.query.payments.findFirst(query({ where: { id } }));
    },
    // Payment's own check: payment back offices, or whoever may see its participant.
    extensions: plan.lookup({
      check: (row) => predicate((input) => visiblePayments(aliased(payments, row), {}, input.viewer)),
    }),
  }),
  payments: t.drizzleConnection(
    {
      type: "payments",
      description: "Payments, newest first.",
      args: { filter: t.arg({ type: PaymentFilterInput }) },
      totalCount: (_parent, args, ctx) => countPayments(ctx.db, toPaymentFilter(args.filter), ctx.viewer),
      resolve: (query, _root, args, ctx) => {
        const filter = toPaymentFilter(args.filter);
        return ctx.db.query.payments.findMany(
          query({
            where: { RAW: (table) => visiblePayments(table, filter, ctx.viewer) },
            orderBy: paymentOrder,
          }),
        );
      },
      extensions: plan.connection({
        where: (child, args) => [
          predicate((input) =>
            visiblePayments(aliased(payments, child), plannedPaymentFilter(args(input).filter), input.viewer),
          ),
        ],
        ordering: () => orderingOf(payments, paymentOrder),
      }),
    },
    PaymentConnection,
  ),
}));

const PayContributionInput = builder.inputType("PayContributionInput", {
  fields: (t) => ({
    participantId: t.globalID({ required: true, for: Participant }),
    months: t.int({ required: true, description: "1, 3, 6 or 12." }),
    payerSponsorId: t.globalID({
      for: Sponsor,
      description: "When a sponsor pays (Sertakan); a SPONSOR caller pays as itself.",
    }),
    programs: t.field({
      type: [ProgramEnum],
      description:
        "Which of the participant's programs this payment pays; all of them when omitted. JKK and JKM go together: with them it is a full payment for the next months (as always); without them it is a part (e.g. a sponsored worker's JHT), topping up months from this one on whose JKK and JKM are paid (PART_AHEAD_OF_COVERAGE when fewer are open). Splitting JKK from JKM, or naming a program the participant has not joined, is PROGRAMS_SPLIT.",
    }),
    channel: t.field({
      type: "PaymentChannel",
      required: true,
      description: "Where the participant pays, e.g. BRIVA.",
    }),
    idempotencyKey: t.string({
      required: true,
      description:
        "Unique per payment attempt: a retry with the same key and input within 45 days returns the same payment; after 45 days the key is free again.",
    }),
  }),
});

const SettlementOutcomeEnum = builder.enumType("SettlementOutcome", {
  values: ["SETTLED", "FAILED", "REFUNDED"] as const,
});
const BatchOutcomeEnum = builder.enumType("BatchOutcome", { values: ["SETTLED", "FAILED"] as const });

const SettlePaymentInput = builder.inputType("SettlePaymentInput", {
  fields: (t) => ({
    paymentId: t.globalID({ required: true, for: Payment }),
    outcome: t.field({ type: SettlementOutcomeEnum, required: true }),
    externalReference: t.string({ description: "The channel's transaction reference." }),
    amount: t.field({
      type: "Rupiah",
      description: "What the channel collected (or refunded); checked against the payment.",
    }),
  }),
});

/** One payload type per mutation (`<Mutation>Payload`), each with the same fields. */
function paymentPayload(name: string) {
  return builder.objectRef<PaymentResult>(name).implement({
    fields: (t) => ({
      // Read back with the client's selection (and the participant that Payment's access check needs).
      payment: t.drizzleField({
        type: "payments",
        nullable: true,
        description: "Null when userErrors is not empty.",
        resolve: (query, result, _args, ctx) =>
          result.payment ? ctx.db.query.payments.findFirst(query({ where: { id: result.payment.id } })) : null,
      }),
      participant: t.field({
        type: Participant,
        nullable: true,
        description: "Null when userErrors is not empty.",
        resolve: (result) => result.participant,
      }),
      userErrors: t.field({ type: [UserError], resolve: (result) => result.userErrors }),
    }),
  });
}
const PayContributionPayload = paymentPayload("PayContributionPayload");
const SettlePaymentPayload = paymentPayload("SettlePaymentPayload");

builder.mutationFields((t) => ({
  payContribution: t.field({
    type: PayContributionPayload,
    authScopes: { action: "payment:pay" },
    args: { input: t.arg({ type: PayContributionInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      payContribution(ctx, {
        participantId: rowId(input.participantId.id) ?? -1,
        months: input.months,
        payerSponsorId: input.payerSponsorId ? (rowId(input.payerSponsorId.id) ?? -1) : null,
        programs: input.programs ?? null,
        channel: input.channel,
        idempotencyKey: input.idempotencyKey,
      }),
  }),
  settlePayment: t.field({
    type: SettlePaymentPayload,
    description: "Records a channel's outcome by hand (the webhook is the usual path); needs payments:settle.",
    authScopes: { action: "payment:settle" },
    args: { input: t.arg({ type: SettlePaymentInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      settlePayment(ctx, {
        paymentId: rowId(input.paymentId.id) ?? -1,
        outcome: input.outcome,
        externalReference: input.externalReference ?? null,
        amount: input.amount ?? null,
      }),
  }),
}));

export const PaymentBatch = builder.drizzleNode("paymentBatches", {
  name: "PaymentBatch",
  description:
    "A sponsor's batch payment: one payment per covered worker, drawn on the sponsorship's budget; PENDING until the sponsor's transfer arrives (a channel notification with the batch's id, or settlePaymentBatch), and only then covering months.",
  id: { column: (batch) => batch.id },
  authScopes: (batch, { viewer }) =>
    may(viewer, "payment:readAll") || canSeeSponsor(viewer, batch.sponsorship.sponsorId),
  select: { columns: { sponsorshipId: true }, with: { sponsorship: { columns: { sponsorId: true } } } },
  fields: (t) => ({
    sponsorship: t.relation("sponsorship", {
      type: Sponsorship,
      nullable: true,
      description: "Null (with one FORBIDDEN error here) when the caller may read the batch but not the sponsor.",
    }),
    months: t.exposeInt("months"),
    total: t.expose("total", { type: "Rupiah" }),
    paymentCount: t.exposeInt("paymentCount"),
    status: t.expose("status", { type: PaymentStatusEnum }),
    channel: t.expose("channel", {
      type: "PaymentChannel",
      description: "Where the sponsor's transfer is expected from.",
    }),
    externalReference: t.exposeString("externalReference", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    settledAt: t.expose("settledAt", { type: "DateTime", nullable: true }),
    // Only payments the caller may read: a worker since sponsored by someone else stays out of the list.
    payments: t.relatedConnection(
      "payments",
      {
        query: (_args, ctx) => ({
          where: { RAW: (table) => visiblePayments(table, {}, ctx.viewer) },
          orderBy: { id: "asc" },
        }),
        totalCount: true,
      },
      PaymentConnection,
    ),
  }),
});

builder.drizzleObjectFields(Sponsorship, (t) => ({
  batches: t.relation("batches", { query: { orderBy: { createdAt: "desc", id: "desc" } } }),
}));

const PaySponsoredContributionsInput = builder.inputType("PaySponsoredContributionsInput", {
  fields: (t) => ({
    sponsorshipId: t.globalID({ required: true, for: Sponsorship }),
    months: t.int({ required: true, description: "1, 3, 6 or 12." }),
    idempotencyKey: t.string({ required: true }),
    channel: t.field({
      type: "PaymentChannel",
      description:
        "The payment channel the sponsor's transfer comes through (default SPONSOR_BUDGET: recorded by the agency).",
    }),
  }),
});

/** A payload answering with the batch (read back with the client's selection) or userErrors. */
function paymentBatchPayload(name: string) {
  return builder.objectRef<BatchResult | SettleBatchResult>(name).implement({
    fields: (t) => ({
      batch: t.drizzleField({
        type: "paymentBatches",
        nullable: true,
        description: "Null when userErrors is not empty.",
        resolve: (query, result, _args, ctx) =>
          result.batch ? ctx.db.query.paymentBatches.findFirst(query({ where: { id: result.batch.id } })) : null,
      }),
      skippedWorkers: t.field({
        type: [UserError],
        description:
          "Enrolled workers the batch did not pay for, each with why (PARTICIPANT_EXITED: they left membership). Empty on a replay and when settling.",
        resolve: (result) => ("skippedWorkers" in result ? result.skippedWorkers : []),
      }),
      userErrors: t.field({ type: [UserError], resolve: (result) => result.userErrors }),
    }),
  });
}

const PaySponsoredContributionsPayload = paymentBatchPayload("PaySponsoredContributionsPayload");

builder.mutationField("paySponsoredContributions", (t) =>
  t.field({
    type: PaySponsoredContributionsPayload,
    description:
      "Bills every worker a sponsorship covers for `months`, drawn on its budget: all or nothing (BUDGET_EXCEEDED, OUTSIDE_SPONSORSHIP_PERIOD). The batch stays PENDING until the sponsor's money arrives.",
    args: { input: t.arg({ type: PaySponsoredContributionsInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      paySponsoredContributions(ctx, {
        sponsorshipId: rowId(input.sponsorshipId.id) ?? -1,
        months: input.months,
        idempotencyKey: input.idempotencyKey,
        channel: input.channel ?? null,
      }),
  }),
);

const SettlePaymentBatchInput = builder.inputType("SettlePaymentBatchInput", {
  fields: (t) => ({
    batchId: t.globalID({ required: true, for: PaymentBatch }),
    outcome: t.field({ type: BatchOutcomeEnum, required: true }),
    externalReference: t.string({ description: "The transfer's reference." }),
    amount: t.field({ type: "Rupiah", description: "What arrived; must equal the batch's total." }),
  }),
});

const SettlePaymentBatchPayload = paymentBatchPayload("SettlePaymentBatchPayload");

builder.mutationField("settlePaymentBatch", (t) =>
  t.field({
    type: SettlePaymentBatchPayload,
    description:
      "Records that a sponsor's transfer for a batch arrived (SETTLED: its workers' months are covered) or will not (FAILED: the amount returns to the budget); needs payments:settle.",
    authScopes: { action: "payment:settle" },
    args: { input: t.arg({ type: SettlePaymentBatchInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      settlePaymentBatch(ctx, {
        batchId: rowId(input.batchId.id) ?? -1,
        outcome: input.outcome,
        externalReference: input.externalReference ?? null,
        amount: input.amount ?? null,
      }),
  }),
);

const ReconciliationMismatchKindEnum = builder.enumType("ReconciliationMismatchKind", {
  description:
    "SETTLED_WITHOUT_NOTIFICATION: settled here with no applied notification from the channel (recorded by hand, or it never came); NOTIFICATION_NOT_APPLIED: the channel notified a settlement that was refused (outcome says why).",
  values: ["SETTLED_WITHOUT_NOTIFICATION", "NOTIFICATION_NOT_APPLIED"] as const,
});

const ReconciliationMismatch = builder.objectRef<ReconciliationMismatchShape>("ReconciliationMismatch").implement({
  fields: (t) => ({
    kind: t.field({ type: ReconciliationMismatchKindEnum, resolve: (m) => m.kind }),
    paymentId: t.id({
      nullable: true,
      resolve: (m) => (m.paymentId === null ? null : encodeGlobalId("Payment", m.paymentId)),
    }),
    reference: t.string({
      nullable: true,
      description: "The channel's reference of a notification.",
      resolve: (m) => m.reference,
    }),
    amount: t.field({ type: "Rupiah", resolve: (m) => m.amount }),
    outcome: t.string({ nullable: true, description: "What became of a notification.", resolve: (m) => m.outcome }),
  }),
});

const ReconciliationDay = builder.objectRef<ReconciliationDayShape>("ReconciliationDay").implement({
  description: "One channel's day: what was settled here against what the channel notified and was applied.",
  fields: (t) => ({
    channel: t.field({ type: "PaymentChannel", resolve: (d) => d.channel }),
    date: t.field({ type: "Date", description: "The WIB calendar day.", resolve: (d) => d.date }),
    settledCount: t.int({ resolve: (d) => d.settledCount }),
    settledAmount: t.field({ type: "Rupiah", resolve: (d) => d.settledAmount }),
    notifiedCount: t.int({ resolve: (d) => d.notifiedCount }),
    notifiedAmount: t.field({ type: "Rupiah", resolve: (d) => d.notifiedAmount }),
    mismatches: t.field({ type: [ReconciliationMismatch], resolve: (d) => d.mismatches }),
  }),
});

builder.queryField("channelReconciliation", (t) =>
  t.field({
    type: [ReconciliationDay],
    description: `Settlements per payment channel and WIB day against the channel's notified totals, with every difference listed; at most ${MAX_RECONCILIATION_DAYS} days. ADMIN or payments:settle.`,
    authScopes: { action: "payment:settle" },
    args: {
      from: t.arg({ type: "Date", required: true }),
      to: t.arg({ type: "Date", required: true }),
      channel: t.arg({ type: "PaymentChannel" }),
    },
    resolve: async (_root, args, ctx) => {
      const days = (Date.parse(args.to) - Date.parse(args.from)) / 86_400_000 + 1;
      if (!(days >= 1 && days <= MAX_RECONCILIATION_DAYS)) {
        throw badUserInput(msg("BAD_USER_INPUT.reconciliationRange", { days: MAX_RECONCILIATION_DAYS }));
      }
      return reconciliationDays(
        await reconciliationRows(ctx.db, { from: args.from, to: args.to, channel: args.channel ?? null }),
      );
    },
  }),
);
