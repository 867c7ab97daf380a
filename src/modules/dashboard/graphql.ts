import { builder } from "../../builder";
import { plan } from "../../read-plan/field-plan";
import { currentMonth } from "../../shared/calendar";
import { encodeGlobalId, rowId } from "../../shared/ids";
import { messageKey } from "../../shared/messages";
import { ProgramEnum, SegmentEnum } from "../../shared/program-enums";
import { UserError } from "../../shared/user-error-type";
import { activePrograms } from "../contributions/rules";
import { Ecosystem, EcosystemCodeEnum } from "../ecosystems/graphql";
import { ExitReasonEnum, Participant } from "../participants/graphql";
import { REGION_CODE } from "../regions/codes";
import { Sponsor } from "../sponsors/graphql";
import {
  type CoverageDashboard as CoverageDashboardShape,
  type CoverageHistoryMonth,
  coverageDashboard,
  coverageHistory,
  coverageHistoryMaxMonths,
  type EcosystemCoverage as EcosystemCoverageShape,
  ecosystemCoverage,
  type FunnelCohort,
  funnelDimensions,
  funnelMaxMonths,
  historyDashboard,
  type MembershipChangesMonth,
  membershipChanges,
  membershipChangesMaxMonths,
  type RetentionCohort as RetentionCohortShape,
  type RetentionLeader,
  type RetentionOutcomes as RetentionOutcomesShape,
  registrationFunnel,
  retentionCohorts,
  retentionLeaderboard,
  retentionOutcomes,
  type SetCoverageTargetResult,
  type Slice,
  setCoverageTarget,
} from "./service";
import { retentionOutcomeScopes } from "./tables";

const CoverageSlice = builder.objectRef<Slice>("CoverageSlice").implement({
  description: "Counts for one ecosystem, region, segment or sponsor program.",
  fields: (t) => ({
    key: t.exposeString("key", {
      description: "Ecosystem code, region code, segment, or sponsor program (NONE: self-paying).",
    }),
    label: t.exposeString("label"),
    registered: t.exposeInt("registered"),
    pending: t.exposeInt("pending", {
      nullable: true,
      description: "Null for a past month answered from the kept history, which keeps registered and active only.",
    }),
    active: t.exposeInt("active"),
    grace: t.exposeInt("grace", {
      nullable: true,
      description: "Null for a past month answered from the kept history, which keeps registered and active only.",
    }),
    inactive: t.exposeInt("inactive", {
      nullable: true,
      description: "Null for a past month answered from the kept history, which keeps registered and active only.",
    }),
    exited: t.exposeInt("exited", {
      nullable: true,
      description:
        "Left membership for good: in registered, in no other count. Null for a past month answered from the kept history.",
    }),
    target: t.exposeInt("target", {
      nullable: true,
      description:
        "Active participants aimed for: set for national and ecosystem scopes (setCoverageTarget); null for every other slice, and when no target is set for that year.",
    }),
    progress: t.exposeFloat("progress", {
      nullable: true,
      description: "active / target; null when target is null or 0.",
    }),
  }),
});

const CoverageDashboard = builder.objectRef<CoverageDashboardShape>("CoverageDashboard").implement({
  fields: (t) => ({
    asOf: t.field({ type: "Date", resolve: (d) => d.asOf }),
    fromHistory: t.exposeBoolean("fromHistory", {
      description:
        "True for a past month: answered from the kept monthly history (registered and active, by region, ecosystem and segment), not from today's rollups.",
    }),
    regionCode: t.exposeString("regionCode", {
      nullable: true,
      description: "The region asked for; null for the national dashboard.",
    }),
    registered: t.exposeInt("registered"),
    pending: t.exposeInt("pending", {
      nullable: true,
      description: "Null for a past month answered from the kept history, which keeps registered and active only.",
    }),
    active: t.exposeInt("active", {
      description:
        "Paid through the month of asOf: the figure the target counts. A month is paid when its JKK and JKM are (see activePrograms), whoever paid them; a worker's own JHT part does not make anyone active.",
    }),
    activePrograms: t.field({
      type: [ProgramEnum],
      description:
        "The programs whose payment makes a month count as covered, for every count here: JKK and JKM. JHT, JP and JKP are tracked per program (Participant.programsPaidThrough) but count toward no figure.",
      resolve: () => [...activePrograms],
    }),
    grace: t.exposeInt("grace", {
      nullable: true,
      description: "Null for a past month answered from the kept history, which keeps registered and active only.",
    }),
    inactive: t.exposeInt("inactive", {
      nullable: true,
      description: "Null for a past month answered from the kept history, which keeps registered and active only.",
    }),
    exited: t.exposeInt("exited", {
      nullable: true,
      description:
        "Left membership for good: in registered, in no other count. Null for a past month answered from the kept history.",
    }),
    target: t.exposeInt("target", {
      nullable: true,
      description:
        "Active participants aimed for in the year of asOf: national, or the ecosystem's when one is asked for; null at region scopes (targets are national) and when none is set for that year.",
    }),
    progress: t.exposeFloat("progress", {
      nullable: true,
      description: "active / target; null when target is null or 0.",
    }),
    byEcosystem: t.field({ type: [CoverageSlice], resolve: (d) => d.byEcosystem }),
    byRegion: t.field({
      type: [CoverageSlice],
      description: "Provinces nationally, or the regions one level below regionCode.",
      resolve: (d) => d.byRegion,
    }),
    bySegment: t.field({ type: [CoverageSlice], resolve: (d) => d.bySegment }),
    bySponsorProgram: t.field({ type: [CoverageSlice], resolve: (d) => d.bySponsorProgram }),
    activeThisMonth: t.exposeInt("activeThisMonth", {
      nullable: true,
      description:
        "Participants with coverage for the month of asOf, from covered months. Kept for national and province scopes only: null at regency and district scopes, and when an ecosystem or segment is asked for.",
    }),
    activeLastMonth: t.exposeInt("activeLastMonth", {
      nullable: true,
      description: "The same for the month before asOf; null exactly when activeThisMonth is.",
    }),
    netGrowth: t.exposeInt("netGrowth", {
      nullable: true,
      description: "activeThisMonth - activeLastMonth; null exactly when they are.",
    }),
  }),
});

const RetentionCohort = builder.objectRef<RetentionCohortShape>("RetentionCohort").implement({
  description: "Of the participants registered in a month, the share with coverage 1, 3, 6 and 12 months later.",
  fields: (t) => ({
    cohort: t.field({ type: "Month", resolve: (c) => c.cohort }),
    ecosystem: t.field({
      type: EcosystemCodeEnum,
      nullable: true,
      description: "The ecosystem of a per-ecosystem cohort; null for cohorts of all ecosystems together.",
      resolve: (c) => c.ecosystem,
    }),
    regionCode: t.exposeString("regionCode", {
      nullable: true,
      description: "The province or regency of a regional cohort; null for national cohorts.",
    }),
    registered: t.exposeInt("registered"),
    after1: t.exposeFloat("after1", {
      nullable: true,
      description: "Share covered 1 month after registering; null until that month has come.",
    }),
    after3: t.exposeFloat("after3", {
      nullable: true,
      description: "Share covered 3 months after; null until that month has come.",
    }),
    after6: t.exposeFloat("after6", {
      nullable: true,
      description: "Share covered 6 months after; null until that month has come.",
    }),
    after12: t.exposeFloat("after12", {
      nullable: true,
      description: "Share covered 12 months after; null until that month has come.",
    }),
  }),
});

const RetentionOutcomeScope = builder.enumType("RetentionOutcomeScope", {
  values: retentionOutcomeScopes,
  description:
    "Whose grace episodes: the nation, a province or regency, an ecosystem, a sponsor's workers, a registrant's referrals.",
});

const RetentionOutcomesType = builder.objectRef<RetentionOutcomesShape>("RetentionOutcomes").implement({
  description:
    "Workers who entered GRACE when a month began (paid through the month before), and what came of it within the grace window (until protection stops, 2 months later).",
  fields: (t) => ({
    month: t.field({ type: "Month", resolve: (o) => o.month }),
    scope: t.field({ type: RetentionOutcomeScope, resolve: (o) => o.scope }),
    scopeKey: t.exposeString("scopeKey", {
      nullable: true,
      description: "Region code, ecosystem code, or the sponsor's or registrant's row id; null for national figures.",
    }),
    windowClosed: t.exposeBoolean("windowClosed", {
      description: "Whether the month's grace window has ended, so lapsed and wonBack are final.",
    }),
    entered: t.exposeInt("entered"),
    recovered: t.exposeInt("recovered", {
      description: "ACTIVE again (paid through the current month) within the window.",
    }),
    lapsed: t.exposeInt("lapsed", {
      nullable: true,
      description: "INACTIVE when the window closed (nothing from the month on paid); null while it is open.",
    }),
    unresolved: t.exposeInt("unresolved", {
      description:
        "Neither: the window is still open, or they paid part of the arrears and were still in GRACE when it closed.",
    }),
    wonBack: t.exposeInt("wonBack", { description: "Of the lapsed, those who paid again afterwards." }),
    enteredWithOutreach: t.exposeInt("enteredWithOutreach", {
      description:
        "Reached out to (recordOutreach) during the episode: from the month's start until recovery or the window's end.",
    }),
    recoveredWithOutreach: t.exposeInt("recoveredWithOutreach"),
    recoveryShare: t.exposeFloat("recoveryShare", { nullable: true }),
    recoveryShareWithOutreach: t.exposeFloat("recoveryShareWithOutreach", { nullable: true }),
    recoveryShareWithoutOutreach: t.exposeFloat("recoveryShareWithoutOutreach", { nullable: true }),
  }),
});

const regionCodeArg = {
  regex: [REGION_CODE, { message: messageKey("BAD_USER_INPUT.regionCode") }] as [RegExp, { message: string }],
};

const ExitCount = builder.objectRef<MembershipChangesMonth["exits"][number]>("ExitCount").implement({
  fields: (t) => ({
    reason: t.field({ type: ExitReasonEnum, resolve: (count) => count.reason }),
    participants: t.exposeInt("participants"),
  }),
});

const MembershipChangesMonthRef = builder.objectRef<MembershipChangesMonth>("MembershipChangesMonth").implement({
  description:
    "Why membership changed in a month: members who left for good (by the law's reason), moves between BPU and PU, and former members won back. Counted by the month the membership ended (exits: the day it happened; moves: the month of the move) or began (returns), for members whose village is in the scope today.",
  fields: (t) => ({
    month: t.field({ type: "Month", resolve: (m) => m.month }),
    exits: t.field({ type: [ExitCount], description: "Every exit reason, zero included.", resolve: (m) => m.exits }),
    exited: t.exposeInt("exited", { description: "All exits of the month." }),
    movedToPu: t.exposeInt("movedToPu", { description: "BPU members hired (BPU → PU)." }),
    movedToBpu: t.exposeInt("movedToBpu", { description: "PU members whose job ended (PU → BPU)." }),
    returned: t.exposeInt("returned", {
      description: "Former members who registered again (won back): a new membership on the same person.",
    }),
  }),
});

const CoverageHistoryMonthRef = builder.objectRef<CoverageHistoryMonth>("CoverageHistoryMonth").implement({
  description:
    "A closed month's figures for one scope, at their latest revision: registered (by the month's end, not exited by then) and active (with a covered month), against the year's target.",
  fields: (t) => ({
    month: t.field({ type: "Month", resolve: (m) => m.month }),
    registered: t.exposeInt("registered", { nullable: true, description: "Null for a month not closed (kept) yet." }),
    active: t.exposeInt("active", { nullable: true }),
    target: t.exposeInt("target", {
      nullable: true,
      description:
        "The year's active target: national, or the ecosystem's; null for other scopes and when none is set.",
    }),
    targetSource: t.exposeString("targetSource", {
      nullable: true,
      description: "Where the year's target comes from.",
    }),
    gapToTarget: t.exposeInt("gapToTarget", { nullable: true, description: "target - active." }),
    revision: t.exposeInt("revision", {
      nullable: true,
      description:
        "1 when the month closed; higher when a late correction (a refund, a back-dated settlement, an exit) changed it.",
    }),
    reconstructed: t.exposeBoolean("reconstructed", {
      nullable: true,
      description:
        "Closed after the fact by the backfill, from the data as it was then known (docs/apps.md, Growth over time).",
    }),
  }),
});

const FunnelDimensionEnum = builder.enumType("FunnelDimension", {
  description: "How a funnel is split: how people came in (SELF, NYALAKAN, SPONSOR), ecosystem, or child region.",
  values: funnelDimensions,
});

const FunnelCohortRef = builder.objectRef<FunnelCohort>("FunnelCohort").implement({
  description:
    "Who registered in a month, by one key: when they first paid (a settled payment within 30 days of registering, later, never) and the share covered 3, 6 and 12 months later.",
  fields: (t) => ({
    cohort: t.field({ type: "Month", resolve: (c) => c.cohort }),
    key: t.exposeString("key", {
      description: "SELF, NYALAKAN or SPONSOR; an ecosystem code; or a region code one level below the scope.",
    }),
    registered: t.exposeInt("registered"),
    paidWithin30Days: t.exposeInt("paidWithin30Days"),
    paidLater: t.exposeInt("paidLater"),
    neverPaid: t.exposeInt("neverPaid"),
    activeShare3: t.exposeFloat("activeShare3", { nullable: true, description: "Null until that month has come." }),
    activeShare6: t.exposeFloat("activeShare6", { nullable: true }),
    activeShare12: t.exposeFloat("activeShare12", { nullable: true }),
  }),
});

const RetentionLeaderKindEnum = builder.enumType("RetentionLeaderKind", { values: ["REGISTRANT", "SPONSOR"] as const });

const RetentionLeaderRef = builder.objectRef<RetentionLeader>("RetentionLeader").implement({
  description:
    "A Nyalakan registrant or a sponsor, and how many of the workers they brought in stayed covered six months on.",
  fields: (t) => ({
    kind: t.field({ type: RetentionLeaderKindEnum, resolve: (l) => l.kind }),
    id: t.id({
      description: "The registrant's Participant id or the sponsor's Sponsor id (global ids).",
      resolve: (l) => encodeGlobalId(l.kind === "REGISTRANT" ? "Participant" : "Sponsor", l.id),
    }),
    registered: t.exposeInt("registered"),
    activeShare6: t.exposeFloat("activeShare6"),
  }),
});

const RetentionLeaderboardRef = builder
  .objectRef<{ best: RetentionLeader[]; worst: RetentionLeader[] }>("RetentionLeaderboard")
  .implement({
    fields: (t) => ({
      best: t.field({ type: [RetentionLeaderRef], resolve: (b) => b.best }),
      worst: t.field({ type: [RetentionLeaderRef], resolve: (b) => b.worst }),
    }),
  });

const funnelArgs = (t: Parameters<Parameters<typeof builder.queryFields>[0]>[0]) => ({
  from: t.arg({ type: "Month", required: true }),
  to: t.arg({ type: "Month", required: true }),
  regionCode: t.arg.string({ validate: regionCodeArg }),
});

builder.queryFields((t) => ({
  registrationFunnel: t.field({
    type: [FunnelCohortRef],
    description: `Registration months from from to to (at most ${funnelMaxMonths}): first payment within 30 days, later or never, and the share still covered 3, 6 and 12 months on, by how people came in, ecosystem or region (ADMIN; OFFICER within their region).`,
    args: { ...funnelArgs(t), by: t.arg({ type: FunnelDimensionEnum, defaultValue: "CHANNEL" }) },
    resolve: (_root, args, ctx) =>
      registrationFunnel(ctx, {
        from: args.from,
        to: args.to,
        regionCode: args.regionCode ?? null,
        by: args.by ?? "CHANNEL",
        now: ctx.clock.now(),
      }),
  }),
  retentionLeaderboard: t.field({
    type: RetentionLeaderboardRef,
    description:
      "The five Nyalakan registrants and five sponsors whose workers registered in the months stayed most (best) and least (worst) six months on, each with at least five such workers (ADMIN; OFFICER within their region).",
    args: funnelArgs(t),
    resolve: (_root, args, ctx) =>
      retentionLeaderboard(ctx, {
        from: args.from,
        to: args.to,
        regionCode: args.regionCode ?? null,
        now: ctx.clock.now(),
      }),
  }),
  coverageHistory: t.field({
    type: [CoverageHistoryMonthRef],
    description: `The growth line: each closed month's registered and active participants, with the year's target (ADMIN; OFFICER within their province or regency). At most one of regionCode, ecosystem, segment and channel; at most ${coverageHistoryMaxMonths} months, ending with a month that has ended.`,
    args: {
      from: t.arg({ type: "Month", required: true }),
      to: t.arg({ type: "Month", required: true }),
      regionCode: t.arg.string({
        description: "A province (`31`) or regency (`31.71`). An officer's own region by default.",
        validate: { regex: [/^[0-9]{2}(\.[0-9]{2})?$/, { message: messageKey("BAD_USER_INPUT.provinceOrRegency") }] },
      }),
      ecosystem: t.arg({ type: EcosystemCodeEnum }),
      segment: t.arg({ type: SegmentEnum }),
      channel: t.arg.string({ description: "A registration channel (JMO, NYALAKAN, SPONSOR_CSV, …)." }),
    },
    resolve: (_root, args, ctx) =>
      coverageHistory(ctx, {
        from: args.from,
        to: args.to,
        now: ctx.clock.now(),
        regionCode: args.regionCode ?? null,
        ecosystem: args.ecosystem ?? null,
        segment: args.segment ?? null,
        channel: args.channel ?? null,
      }),
  }),
  membershipChanges: t.field({
    type: [MembershipChangesMonthRef],
    description: `Exits by reason, moves between BPU and PU and members won back, per month: what explains the active count's rise and fall (ADMIN; OFFICER within their region). At most ${membershipChangesMaxMonths} months, not after the current one.`,
    args: {
      from: t.arg({ type: "Month", required: true }),
      to: t.arg({ type: "Month", required: true }),
      regionCode: t.arg.string({ validate: regionCodeArg }),
      ecosystem: t.arg({ type: EcosystemCodeEnum }),
    },
    resolve: (_root, args, ctx) =>
      membershipChanges(ctx, {
        from: args.from,
        to: args.to,
        regionCode: args.regionCode ?? null,
        ecosystem: args.ecosystem ?? null,
        asOf: ctx.clock.now(),
      }),
  }),
  coverageDashboard: t.field({
    type: CoverageDashboard,
    description: "Progress to the active-participant target, from rollups (ADMIN; OFFICER within their region).",
    args: {
      asOf: t.arg({
        type: "Date",
        description:
          "Defaults to today (WIB). The current month or later is answered from today's rollups; an earlier month from the kept monthly history (fromHistory: registered and active only, one of regionCode (province or regency), ecosystem and segment at a time; a month not kept is refused).",
      }),
      regionCode: t.arg.string({ validate: regionCodeArg }),
      ecosystem: t.arg({ type: EcosystemCodeEnum }),
      segment: t.arg({ type: SegmentEnum }),
    },
    resolve: (_root, args, ctx) => {
      const asOf = args.asOf ? new Date(`${args.asOf}T12:00:00+07:00`) : ctx.clock.now();
      if (currentMonth(asOf) < currentMonth(ctx.clock.now())) {
        // Today's rollups would count June with October's registrations: a past month is the one kept.
        return historyDashboard(ctx, {
          asOf,
          now: ctx.clock.now(),
          regionCode: args.regionCode ?? null,
          ecosystem: args.ecosystem ?? null,
          segment: args.segment ?? null,
        });
      }
      return coverageDashboard(ctx, {
        asOf,
        regionCode: args.regionCode ?? null,
        ecosystem: args.ecosystem ?? null,
        segment: args.segment ?? null,
      });
    },
  }),
  retentionCohorts: t.field({
    type: [RetentionCohort],
    description:
      "Retention by registration month: nationally (overall, for one ecosystem, or per ecosystem; ADMIN) or for a province or regency (ADMIN, and officers inside their own region).",
    args: {
      from: t.arg({ type: "Month", required: true }),
      to: t.arg({ type: "Month", required: true }),
      ecosystem: t.arg({ type: EcosystemCodeEnum }),
      perEcosystem: t.arg.boolean({ defaultValue: false }),
      regionCode: t.arg.string({
        description:
          "A province (`31`) or regency (`31.71`): that region's cohorts, all ecosystems together. An officer's own region by default.",
        validate: { regex: [/^[0-9]{2}(\.[0-9]{2})?$/, { message: messageKey("BAD_USER_INPUT.provinceOrRegency") }] },
      }),
    },
    resolve: (_root, args, ctx) =>
      retentionCohorts(ctx, {
        regionCode: args.regionCode ?? null,
        from: args.from,
        to: args.to,
        asOf: ctx.clock.now(),
        ecosystem: args.ecosystem ?? null,
        perEcosystem: args.perEcosystem ?? false,
      }),
  }),
  retentionOutcomes: t.field({
    type: [RetentionOutcomesType],
    description:
      "Grace episodes by the month they began and what came of them, from a rollup (one key range). ADMIN: national by default, or one scope; OFFICER: their province or regency (or one inside it); a sponsor: its workers; a Nyalakan registrant: the workers they registered.",
    args: {
      from: t.arg({ type: "Month", required: true }),
      to: t.arg({
        type: "Month",
        required: true,
        description: "At most 24 months after from, and not after the current month.",
      }),
      regionCode: t.arg.string({
        description: "A province (`31`) or regency (`31.71`).",
        validate: { regex: [/^[0-9]{2}(\.[0-9]{2})?$/, { message: messageKey("BAD_USER_INPUT.provinceOrRegency") }] },
      }),
      ecosystem: t.arg({ type: EcosystemCodeEnum }),
      sponsorId: t.arg.globalID({ for: Sponsor }),
      registrantId: t.arg.globalID({
        for: Participant,
        description: "A Nyalakan registrant: the workers they registered.",
      }),
    },
    resolve: (_root, args, ctx) =>
      retentionOutcomes(ctx, {
        from: args.from,
        to: args.to,
        asOf: ctx.clock.now(),
        regionCode: args.regionCode ?? null,
        ecosystem: args.ecosystem ?? null,
        sponsorId: args.sponsorId ? (rowId(args.sponsorId.id) ?? -1) : null,
        registrantId: args.registrantId ? (rowId(args.registrantId.id) ?? -1) : null,
      }),
  }),
}));

const EcosystemCoverage = builder.objectRef<EcosystemCoverageShape>("EcosystemCoverage").implement({
  description: "Public national totals of an ecosystem.",
  fields: (t) => ({
    registered: t.exposeInt("registered"),
    active: t.exposeInt("active"),
    target: t.exposeInt("target", { nullable: true, description: "This year's target; null when none is set." }),
    progress: t.exposeFloat("progress", {
      nullable: true,
      description: "active / target; null when target is null or 0.",
    }),
  }),
});

builder.drizzleObjectFields(Ecosystem, (t) => ({
  coverage: t.field({
    type: EcosystemCoverage,
    description: "Public: registered and active participants nationally, against this year's target.",
    resolve: (ecosystem, _args, ctx) => ecosystemCoverage(ctx, ecosystem.code, ctx.clock.now()),
    extensions: plan.executorOnly("national figures come from the rollups, not the row"),
  }),
}));

const SetCoverageTargetInput = builder.inputType("SetCoverageTargetInput", {
  fields: (t) => ({
    year: t.int({ required: true }),
    ecosystem: t.field({ type: EcosystemCodeEnum, description: "Omit for the national target." }),
    activeTarget: t.int({ required: true }),
    source: t.string({
      description:
        "Where the figure comes from (a statement, a plan), shown with it on the growth line; up to 300 characters.",
    }),
  }),
});

const SetCoverageTargetPayload = builder.objectRef<SetCoverageTargetResult>("SetCoverageTargetPayload").implement({
  fields: (t) => ({
    year: t.exposeInt("year", { nullable: true, description: "Null when userErrors is not empty." }),
    userErrors: t.field({ type: [UserError], resolve: (r) => r.userErrors }),
  }),
});

builder.mutationField("setCoverageTarget", (t) =>
  t.field({
    type: SetCoverageTargetPayload,
    authScopes: { action: "coverageTarget:set" },
    args: { input: t.arg({ type: SetCoverageTargetInput, required: true }) },
    resolve: (_root, { input }, ctx) => setCoverageTarget(ctx, input),
  }),
);
