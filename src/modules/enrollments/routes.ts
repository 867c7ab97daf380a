import type { ModuleRoute, RouteReply, RouteRequest } from "../../http/routes";
import { handleEnrollmentCsv } from "./csv-upload";
import { type ReportReply, sponsorReceiptsCsv, sponsorWorkersCsv } from "./reports";

/** A report as a download for Indonesian Excel, or its refusal as JSON. */
function reportRoute(
  file: "workers.csv" | "receipts.csv",
  report: (deps: RouteRequest["service"], params: Parameters<typeof sponsorWorkersCsv>[1]) => Promise<ReportReply>,
): ModuleRoute {
  return {
    method: "GET",
    path: `/sponsors/:sponsorId/${file}`,
    access: "caller",
    async handle(request): Promise<RouteReply> {
      const reply = await report(request.service, {
        sponsorId: request.param("sponsorId"),
        from: request.query("from"),
        to: request.query("to"),
      });
      return typeof reply.body === "string"
        ? { status: 200, csv: reply.body, filename: file }
        : { status: reply.status, body: reply.body };
    },
  };
}

/** A sponsor's REST routes: the CSV form of enrollSponsoredParticipants and its two reports. */
export const enrollmentRoutes: readonly ModuleRoute[] = [
  {
    method: "POST",
    path: "/sponsors/:sponsorId/enrollments.csv",
    access: "caller",
    async handle(request) {
      const reply = await handleEnrollmentCsv(
        request.service,
        {
          sponsorId: request.param("sponsorId"),
          sponsorshipId: request.query("sponsorshipId"),
          idempotencyKey: request.header("idempotency-key"),
        },
        await request.text(),
      );
      return { ...reply, wroteEvents: reply.status === 200 };
    },
  },
  reportRoute("workers.csv", sponsorWorkersCsv),
  reportRoute("receipts.csv", sponsorReceiptsCsv),
];
