import { builder, connectionPageSizes } from "../../builder";
import { plan } from "../../read-plan/field-plan";
import { badUserInput } from "../../shared/errors";
import { rowId } from "../../shared/ids";
import { msg } from "../../shared/messages";
import { UserError } from "../../shared/user-error-type";
import {
  Participant,
  ParticipantConnection,
  ParticipantFilterInput,
  ParticipantStatusEnum,
  toFilter,
} from "../participants/graphql";
import { membershipStatus } from "../participants/rules";
import {
  inactiveSince,
  monthsUntilInactive,
  type OutreachList,
  outreachLimits,
  outreachLists,
  outreachRange,
} from "./rules";
import { type RecordOutreachResult, recordOutreach } from "./service";
import {
  countWorkList,
  WORK_LIST_TAG,
  workListOrder,
  workListPageCondition,
  workListPosition,
  workListTag,
} from "./store";
import { outreachChannels, outreachOutcomes } from "./tables";

const OutreachChannelEnum = builder.enumType("OutreachChannel", { values: outreachChannels });
const OutreachOutcomeEnum = builder.enumType("OutreachOutcome", {
  description:
    "REACHED: spoke with the worker; PROMISED_TO_PAY: they said they will pay; DECLINED: they will not; NO_ANSWER; WRONG_CONTACT: the number or address is not theirs.",
  values: outreachOutcomes,
});
const OutreachListEnum = builder.enumType("OutreachList", {
  description:
    "DUE_SOON: next contribution due within `withinDays` (earliest first); IN_GRACE: in arrears but still protected (fewest months left first); WIN_BACK: protection stopped within `lapsedWithinMonths` (most recent first).",
  values: outreachLists,
});

const OutreachContact = builder.drizzleObject("outreachContacts", {
  name: "OutreachContact",
  description: "One attempt to reach a worker about their contributions, and what came of it.",
  fields: (t) => ({
    channel: t.expose("channel", { type: OutreachChannelEnum }),
    outcome: t.expose("outcome", { type: OutreachOutcomeEnum }),
    note: t.exposeString("note", { nullable: true }),
    recordedAt: t.expose("recordedAt", { type: "DateTime" }),
    recordedByRole: t.exposeString("recordedByRole", {
      description: "OFFICER, SPONSOR, PARTNER, PARTICIPANT or ADMIN.",
    }),
    statusAtContact: t.field({
      type: ParticipantStatusEnum,
      description: "The worker's status when they were contacted.",
      select: { columns: { paidThroughAtContact: true, recordedAt: true } },
      resolve: (contact) => membershipStatus(contact.paidThroughAtContact, new Date(contact.recordedAt)),
    }),
  }),
});

builder.drizzleObjectFields(Participant, (t) => ({
  outreach: t.relatedConnection(
    "outreachContacts",
    {
      description: "Who reached out to this worker about their contributions, newest first.",
      query: { orderBy: { recordedAt: "desc", id: "desc" } },
      totalCount: true,
      extensions: plan.executorOnly("outreach history is read on a worker's page, not in lists"),
    },
    { name: "OutreachContactConnection" },
    { name: "OutreachContactEdge" },
  ),
  monthsUntilInactive: t.int({
    nullable: true,
    description:
      "Months of protection left if nothing more is paid, counting the current one (3 when paid through this month, 1 in the last grace month); null once protection stopped or before the first payment.",
    resolve: (participant, _args, ctx) => monthsUntilInactive(participant.paidThrough, ctx.clock.now()),
    extensions: plan.executorOnly("the outreach rules (months of protection left) have no SQL twin yet"),
  }),
  inactiveSince: t.field({
    type: "Month",
    nullable: true,
    description: "The month protection stopped (3 unpaid months); null while protected or before the first payment.",
    resolve: (participant, _args, ctx) => inactiveSince(participant.paidThrough, ctx.clock.now()),
    extensions: plan.executorOnly("the outreach rules (when protection stopped) have no SQL twin yet"),
  }),
}));

builder.queryField("outreachList", (t) =>
  t.drizzleConnection(
    {
      type: "participants",
      description:
        "A work list for retention in the caller's own scope (an officer's region, a sponsor's workers, a partner's, a registrant's referrals), most urgent first; workers equally urgent come village by village, then by id.",
      args: {
        list: t.arg({ type: OutreachListEnum, required: true }),
        withinDays: t.arg.int({
          defaultValue: 7,
          description: `DUE_SOON: days ahead, 0 to ${outreachLimits.maxWithinDays}.`,
          validate: { min: 0, max: outreachLimits.maxWithinDays },
        }),
        lapsedWithinMonths: t.arg.int({
          defaultValue: 3,
          description: `WIN_BACK: months since protection stopped, 1 to ${outreachLimits.maxLapsedWithinMonths}.`,
          validate: { min: 1, max: outreachLimits.maxLapsedWithinMonths },
        }),
        filter: t.arg({ type: ParticipantFilterInput }),
      },
      totalCount: (_parent, args, ctx) => {
        const now = ctx.clock.now();
        const range = outreachRange(args.list, now, windowOf(args));
        if (!range) return 0;
        return countWorkList(ctx.db, range, toFilter(args.filter), ctx.viewer, now);
      },
      resolve: (query, _root, args, ctx) => {
        const now = ctx.clock.now();
        const range = outreachRange(args.list, now, windowOf(args));
        if (!range) return [];
        const page = {
          rows: Math.min(args.first ?? args.last ?? connectionPageSizes.default, connectionPageSizes.max) + 1,
          backward: args.first == null && args.last != null,
          after: args.after ? positionOf(args.list, args.after, "after") : null,
          before: args.before ? positionOf(args.list, args.before, "before") : null,
        };
        return ctx.db.query.participants.findMany(
          query({
            where: {
              RAW: (table) => workListPageCondition(table, range, toFilter(args.filter), ctx.viewer, now, page),
            },
            // The list's name leads the ordering, so every cursor carries it (see workListPosition).
            extras: { [WORK_LIST_TAG]: workListTag(args.list) },
            orderBy: { [WORK_LIST_TAG]: "asc", ...workListOrder(range) },
          }),
        );
      },
    },
    ParticipantConnection,
  ),
);

/** A cursor's place in the list; one that this list did not issue is bad input, answered before any SQL. */
function positionOf(list: OutreachList, cursor: string, field: "after" | "before") {
  const position = workListPosition(list, cursor);
  if (!position) throw badUserInput(msg("BAD_USER_INPUT.cursor", { field: `outreachList.${field}` }));
  return position;
}

function windowOf(args: { withinDays?: number | null; lapsedWithinMonths?: number | null }) {
  return { withinDays: args.withinDays ?? 7, lapsedWithinMonths: args.lapsedWithinMonths ?? 3 };
}

const RecordOutreachInput = builder.inputType("RecordOutreachInput", {
  fields: (t) => ({
    // Any type's id is accepted here and judged in the resolver: one that names no Participant is
    // NOT_FOUND, like an unknown one, not a type error (the contract for ids that name nothing).
    participantId: t.globalID({ required: true }),
    channel: t.field({ type: OutreachChannelEnum, required: true }),
    outcome: t.field({ type: OutreachOutcomeEnum, required: true }),
    note: t.string({ description: "Up to 500 characters; no personal data beyond what the record holds." }),
  }),
});

const RecordOutreachPayload = builder.objectRef<RecordOutreachResult>("RecordOutreachPayload").implement({
  fields: (t) => ({
    outreach: t.field({
      type: OutreachContact,
      nullable: true,
      description: "Null when userErrors is not empty.",
      resolve: (result) => result.outreach,
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

builder.mutationField("recordOutreach", (t) =>
  t.field({
    type: RecordOutreachPayload,
    description:
      "Records an attempt to reach a worker the caller may see (officers, sponsors, partners with outreach:write, and registrants for their referrals).",
    args: { input: t.arg({ type: RecordOutreachInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      recordOutreach(ctx, {
        participantId: input.participantId.typename === Participant.name ? (rowId(input.participantId.id) ?? -1) : -1,
        channel: input.channel,
        outcome: input.outcome,
        note: input.note ?? null,
      }),
  }),
);
