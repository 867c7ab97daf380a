import { and, asc, eq, gte, lte, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { currentMonth, monthNumber, monthStart } from "../../shared/calendar";
import type { Clock } from "../../shared/clock";
import { decodeGlobalId, encodeGlobalId } from "../../shared/ids";
import { say } from "../../shared/messages";
import { isMonth } from "../../shared/scalars";
import { spreadsheetCsv } from "../../shared/spreadsheet-csv";
import { may } from "../access/actions";
import type { Viewer } from "../access/rules";
import { maskNik, mayReadPersonalData } from "../participants/masking";
import { participantStatus } from "../participants/rules";
import { participants } from "../participants/tables";
import { coveredMonths, payments } from "../payments/tables";

export interface ReportReply {
  status: 200 | 400 | 401 | 404;
  body: string | { error: { code: string; message: string } };
}

const MAX_REPORT_MONTHS = 24;

function refuse(status: 400 | 401 | 404, code: string, message: string): ReportReply {
  return { status, body: { error: { code, message } } };
}

/** The months a report covers: `from`/`to` as `YYYY-MM`, by default the last 12 months up to this one. */
function reportMonths(from: string | undefined, to: string | undefined, now: Date): number[] | null {
  if ((from && !isMonth(from)) || (to && !isMonth(to))) return null;
  const last = to ? monthNumber(`${to}-01`) : currentMonth(now);
  const first = from ? monthNumber(`${from}-01`) : last - 11;
  if (first > last || last - first >= MAX_REPORT_MONTHS) return null;
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

type ReportParams = { sponsorId: string; from: string | undefined; to: string | undefined };
type ReportDeps = { db: Database; clock: Clock; viewer: Viewer };

/** The sponsor and months a report is for, or the refusal: another sponsor's answers as one that does not exist. */
function reportScope(deps: ReportDeps, params: ReportParams): { sponsorId: number; months: number[] } | ReportReply {
  if (deps.viewer.kind !== "user") return refuse(401, "UNAUTHENTICATED", say("UNAUTHENTICATED"));
  const sponsorId = decodeGlobalId(params.sponsorId, "Sponsor");
  if (sponsorId === null || !may(deps.viewer, "sponsor:actFor", { sponsorId: sponsorId })) {
    return refuse(404, "NOT_FOUND", say("NOT_FOUND.sponsor"));
  }
  const months = reportMonths(params.from, params.to, deps.clock.now());
  if (!months) {
    return refuse(400, "INVALID_INPUT", say("INVALID_INPUT.reportMonths", { max: MAX_REPORT_MONTHS }));
  }
  return { sponsorId, months };
}

/**
 * `GET /sponsors/:sponsorId/workers.csv?from=YYYY-MM&to=YYYY-MM`: every worker the sponsor covers,
 * with status, paid-through month and, per month, what the sponsor paid for that worker's month.
 */
export async function sponsorWorkersCsv(deps: ReportDeps, params: ReportParams): Promise<ReportReply> {
  const scope = reportScope(deps, params);
  if ("status" in scope) return scope;
  const { sponsorId, months } = scope;
  const now = deps.clock.now();
  const first = monthStart(months[0] ?? 0);
  const last = monthStart(months.at(-1) ?? 0);
  const workers = await deps.db
    .select({
      id: participants.id,
      nik: participants.nik,
      fullName: participants.fullName,
      villageCode: participants.villageCode,
      paidThrough: participants.paidThrough,
      exitedOn: participants.exitedOn,
    })
    .from(participants)
    .where(eq(participants.sponsorId, sponsorId))
    .orderBy(asc(participants.fullName), asc(participants.id));
  // Each covered month carries a share of its payment: amount / months is exact (whole rupiah per month).
  const paid = await deps.db
    .select({
      participantId: coveredMonths.participantId,
      month: sql<string>`${coveredMonths.month}::text`,
      amount: sql<string>`(${payments.amount} / ${payments.months})::text`,
    })
    .from(coveredMonths)
    .innerJoin(payments, eq(payments.id, coveredMonths.paymentId))
    .innerJoin(participants, eq(participants.id, coveredMonths.participantId))
    .where(
      and(
        eq(participants.sponsorId, sponsorId),
        eq(payments.payerSponsorId, sponsorId),
        gte(coveredMonths.month, first),
        lte(coveredMonths.month, last),
      ),
    );
  const byWorkerMonth = new Map(paid.map((row) => [`${row.participantId}|${row.month}`, row.amount]));
  const header = ["participantId", "nik", "fullName", "villageCode", "status", "paidThrough"];
  const monthLabels = months.map((m) => monthStart(m).slice(0, 7));
  const rows = workers.map((worker) => [
    encodeGlobalId("Participant", worker.id),
    mayReadPersonalData(deps.viewer, worker) ? worker.nik : maskNik(worker.nik),
    worker.fullName,
    worker.villageCode,
    participantStatus(worker, now),
    worker.paidThrough?.slice(0, 7) ?? null,
    ...months.map((m) => byWorkerMonth.get(`${worker.id}|${monthStart(m)}`) ?? null),
  ]);
  return { status: 200, body: spreadsheetCsv([[...header, ...monthLabels], ...rows]) };
}

/** `GET /sponsors/:sponsorId/receipts.csv?from=YYYY-MM&to=YYYY-MM`: the sponsor's payments created in those months. */
export async function sponsorReceiptsCsv(deps: ReportDeps, params: ReportParams): Promise<ReportReply> {
  const scope = reportScope(deps, params);
  if ("status" in scope) return scope;
  const { sponsorId, months } = scope;
  const from = `${monthStart(months[0] ?? 0)}T00:00:00+07:00`;
  const before = `${monthStart((months.at(-1) ?? 0) + 1)}T00:00:00+07:00`;
  const rows = await deps.db
    .select({
      id: payments.id,
      participantId: payments.participantId,
      fullName: participants.fullName,
      months: payments.months,
      coverageFrom: payments.coverageFrom,
      coverageThrough: payments.coverageThrough,
      amount: payments.amount,
      status: payments.status,
      channel: payments.channel,
      externalReference: payments.externalReference,
      batchId: payments.batchId,
      createdAt: payments.createdAt,
      settledAt: payments.settledAt,
    })
    .from(payments)
    .innerJoin(participants, eq(participants.id, payments.participantId))
    .where(
      and(
        eq(payments.payerSponsorId, sponsorId),
        gte(payments.createdAt, from),
        sql`${payments.createdAt} < ${before}`,
      ),
    )
    .orderBy(asc(payments.createdAt), asc(payments.id));
  const header = [
    "paymentId",
    "participantId",
    "fullName",
    "months",
    "coverageFrom",
    "coverageThrough",
    "amount",
    "status",
    "channel",
    "externalReference",
    "batchId",
    "createdAt",
    "settledAt",
  ];
  return {
    status: 200,
    body: spreadsheetCsv([
      header,
      ...rows.map((row) => [
        encodeGlobalId("Payment", row.id),
        encodeGlobalId("Participant", row.participantId),
        row.fullName,
        row.months,
        row.coverageFrom.slice(0, 7),
        row.coverageThrough.slice(0, 7),
        row.amount.toString(),
        row.status,
        row.channel,
        row.externalReference,
        row.batchId === null ? null : encodeGlobalId("PaymentBatch", row.batchId),
        new Date(row.createdAt).toISOString(),
        row.settledAt ? new Date(row.settledAt).toISOString() : null,
      ]),
    ]),
  };
}
