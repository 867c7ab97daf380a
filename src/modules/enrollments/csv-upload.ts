import type { Database } from "../../db/client";
import type { Clock } from "../../shared/clock";
import { decodeGlobalId, encodeGlobalId } from "../../shared/ids";
import { render, say } from "../../shared/messages";
import { may } from "../access/actions";
import type { Viewer } from "../access/rules";
import { recordRefusals } from "../audit/refusals";
import { sponsorshipById } from "../sponsors/service";
import { enrollmentRowsFromCsv } from "./csv";
import { enrollSponsoredParticipants, MAX_ENROLLMENT_ROWS } from "./service";

/** The audit log's name for an upload: the CSV form of enrollSponsoredParticipants. */
const CSV_OPERATION = "enrollSponsoredParticipantsCsv";

export interface CsvUploadReply {
  status: 200 | 400 | 401 | 404 | 413 | 422;
  body: Record<string, unknown>;
}

/**
 * `POST /sponsors/:sponsorId/enrollments.csv?sponsorshipId=<id>` with `Idempotency-Key`: the CSV
 * form of enrollSponsoredParticipants, same rules, with a report row by row: `line` is the row's
 * line in the file (the header is line 1; a quoted cell may span lines), and its `errors` have the
 * shape of GraphQL userErrors, `field` a path within the row (`["reportedMonthlyIncome"]`).
 */
export async function handleEnrollmentCsv(
  deps: { db: Database; clock: Clock; requestId: string; viewer: Viewer },
  params: { sponsorId: string; sponsorshipId: string | undefined; idempotencyKey: string | undefined },
  csv: string,
): Promise<CsvUploadReply> {
  const refuse = (status: CsvUploadReply["status"], code: string, message: string): CsvUploadReply => ({
    status,
    body: { error: { code, message } },
  });
  if (deps.viewer.kind !== "user") {
    await recordRefusals(
      deps.db,
      deps.viewer,
      deps.requestId,
      [{ operation: CSV_OPERATION, refusal: "UNAUTHENTICATED", reason: "Authentication required", targetIds: [] }],
      deps.clock.now(),
    );
    return refuse(401, "UNAUTHENTICATED", say("UNAUTHENTICATED"));
  }
  const sponsorId = decodeGlobalId(params.sponsorId, "Sponsor");
  const sponsorshipId = params.sponsorshipId ? decodeGlobalId(params.sponsorshipId, "Sponsorship") : null;
  if (sponsorId === null || sponsorshipId === null) {
    return refuse(400, "INVALID_INPUT", say("INVALID_INPUT.csvPath"));
  }
  if (!params.idempotencyKey) return refuse(400, "INVALID_INPUT", say("INVALID_INPUT.idempotencyHeader"));
  const sponsorship = await sponsorshipById(deps.db, sponsorshipId);
  // One answer for a sponsorship that does not exist and one the caller may not use: no probing.
  if (
    !sponsorship ||
    sponsorship.sponsorId !== sponsorId ||
    !may(deps.viewer, "sponsor:actFor", { sponsorId: sponsorId })
  ) {
    if (sponsorship && sponsorship.sponsorId === sponsorId) {
      await recordRefusals(
        deps.db,
        deps.viewer,
        deps.requestId,
        [
          {
            operation: CSV_OPERATION,
            refusal: "FORBIDDEN",
            reason: "a sponsor enrolls into its own sponsorships only",
            targetIds: [`sponsorship:${sponsorship.id}`],
          },
        ],
        deps.clock.now(),
      );
    }
    return refuse(404, "NOT_FOUND", say("NOT_FOUND.sponsorsSponsorship"));
  }
  const parsed = enrollmentRowsFromCsv(csv);
  if ("problem" in parsed) {
    return {
      status: 422,
      body: { error: { code: "INVALID_CSV", message: render(parsed.problem), line: parsed.line } },
    };
  }
  if (parsed.rows.length > MAX_ENROLLMENT_ROWS) {
    return refuse(413, "TOO_MANY_ROWS", say("TOO_MANY_ROWS", { max: MAX_ENROLLMENT_ROWS, rows: parsed.rows.length }));
  }
  const result = await enrollSponsoredParticipants(deps, {
    sponsorshipId,
    participants: parsed.rows,
    idempotencyKey: params.idempotencyKey,
  });
  if (!result.report)
    return {
      status: 422,
      body: { error: { code: "REJECTED", message: say("REJECTED") }, userErrors: result.userErrors },
    };
  const errorsByRow = new Map<number, { field: string[]; code: string; message: string }[]>();
  for (const error of result.report.userErrors) {
    const index = Number(error.field?.[2]);
    const list = errorsByRow.get(index) ?? [];
    // ["input", "participants", <row>, ...path within the row]
    list.push({ field: error.field?.slice(3) ?? [], code: error.code, message: error.message });
    errorsByRow.set(index, list);
  }
  const { created, attached, alreadyEnrolled, rejected } = result.report;
  return {
    status: 200,
    body: {
      created,
      attached,
      alreadyEnrolled,
      rejected,
      rows: result.report.rows.map((row) => ({
        line: parsed.lines[row.index] ?? null,
        status: row.status,
        participantId: row.participantId === null ? null : encodeGlobalId("Participant", row.participantId),
        errors: errorsByRow.get(row.index) ?? [],
      })),
    },
  };
}
