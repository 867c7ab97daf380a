import { GraphQLError } from "graphql";
import type { ModuleRoute, RouteReply, RouteRequest } from "../../http/routes";
import { say } from "../../shared/messages";
import { isMonth } from "../../shared/scalars";
import { spreadsheetCsv } from "../../shared/spreadsheet-csv";
import { ecosystemCodes } from "../ecosystems/tables";
import { segments } from "../participants/tables";
import { coverageHistory, funnelDimensions, registrationFunnel } from "./service";

/** The options every spreadsheet report takes: its months, separator and number style, or what is wrong. */
function spreadsheetRequest(request: RouteRequest) {
  const from = request.query("from");
  const to = request.query("to");
  const separator = ([";", ","] as const).find((choice) => choice === (request.query("separator") ?? ";"));
  const numbers = (["plain", "id"] as const).find((choice) => choice === (request.query("numbers") ?? "plain"));
  if (!from || !to || !isMonth(from) || !isMonth(to)) return { problem: say("BAD_USER_INPUT.reportMonths") };
  if (separator === undefined) return { problem: say("BAD_USER_INPUT.csvSeparator") };
  if (numbers === undefined) return { problem: say("BAD_USER_INPUT.csvNumbers") };
  return { from: `${from}-01`, to: `${to}-01`, options: { separator, numbers } };
}

const badRequest = (message: string): RouteReply => ({
  status: 400,
  body: { error: { code: "BAD_USER_INPUT", message } },
});

/** Answers a report, or the GraphQL field's refusal (a bad range, a region out of scope) as this route's error shape. */
async function refusalsAsBadRequest(answer: () => Promise<RouteReply>): Promise<RouteReply> {
  try {
    return await answer();
  } catch (error) {
    if (error instanceof GraphQLError && error.extensions.code === "BAD_USER_INPUT") return badRequest(error.message);
    throw error;
  }
}

/**
 * The growth series as spreadsheets, on the sponsor reports' footing (a caller's credential, the
 * dashboard's readers and scopes): `from=YYYY-MM&to=YYYY-MM`, `separator=;` (default, as Excel with
 * Indonesian settings reads) or `,`, `numbers=id` for 1.234.567 and 0,75 (`plain` by default).
 *
 * - `GET /reports/coverage-history.csv` with at most one of `regionCode`, `ecosystem`, `segment`,
 *   `channel`: the monthly history with its targets.
 * - `GET /reports/registration-funnel.csv` with `by=CHANNEL|ECOSYSTEM|REGION` and `regionCode`: the
 *   registration funnel, one row per registration month and key.
 */
export const dashboardRoutes: readonly ModuleRoute[] = [
  {
    method: "GET",
    path: "/reports/coverage-history.csv",
    access: "caller",
    handle(request) {
      const asked = spreadsheetRequest(request);
      const ecosystem = request.query("ecosystem");
      const segment = request.query("segment");
      const problem =
        "problem" in asked
          ? asked.problem
          : ecosystem !== undefined && !(ecosystemCodes as readonly string[]).includes(ecosystem)
            ? say("BAD_USER_INPUT.ecosystem")
            : segment !== undefined && !(segments as readonly string[]).includes(segment)
              ? say("BAD_USER_INPUT.segment")
              : null;
      if (problem !== null || "problem" in asked) return Promise.resolve(badRequest(problem ?? ""));
      return refusalsAsBadRequest(async () => {
        const series = await coverageHistory(request.service, {
          from: asked.from,
          to: asked.to,
          now: request.service.clock.now(),
          regionCode: request.query("regionCode") ?? null,
          ecosystem: (ecosystem as (typeof ecosystemCodes)[number] | undefined) ?? null,
          segment: (segment as (typeof segments)[number] | undefined) ?? null,
          channel: request.query("channel") ?? null,
        });
        const rows = series.map((m) => [
          m.month.slice(0, 7),
          m.registered,
          m.active,
          m.target,
          m.gapToTarget,
          m.targetSource,
          m.revision,
          m.reconstructed === null ? null : m.reconstructed ? "yes" : "no",
        ]);
        const header = [
          "month",
          "registered",
          "active",
          "target",
          "gapToTarget",
          "targetSource",
          "revision",
          "reconstructed",
        ];
        return {
          status: 200,
          csv: spreadsheetCsv([header, ...rows], asked.options),
          filename: "coverage-history.csv",
        };
      });
    },
  },
  {
    method: "GET",
    path: "/reports/registration-funnel.csv",
    access: "caller",
    handle(request) {
      const asked = spreadsheetRequest(request);
      const by = funnelDimensions.find((choice) => choice === (request.query("by") ?? "CHANNEL"));
      const problem = "problem" in asked ? asked.problem : by === undefined ? say("BAD_USER_INPUT.funnelBy") : null;
      if (problem !== null || "problem" in asked || by === undefined) return Promise.resolve(badRequest(problem ?? ""));
      return refusalsAsBadRequest(async () => {
        const cohorts = await registrationFunnel(request.service, {
          from: asked.from,
          to: asked.to,
          regionCode: request.query("regionCode") ?? null,
          by,
          now: request.service.clock.now(),
        });
        const header = [
          "registrationMonth",
          by.toLowerCase(),
          "registered",
          "paidWithin30Days",
          "paidLater",
          "neverPaid",
          "activeAt3",
          "activeShare3",
          "activeAt6",
          "activeShare6",
          "activeAt12",
          "activeShare12",
        ];
        const rows = cohorts.map((c) => [
          c.cohort.slice(0, 7),
          c.key,
          c.registered,
          c.paidWithin30Days,
          c.paidLater,
          c.neverPaid,
          c.activeShare3 === null ? null : c.activeAt3,
          c.activeShare3,
          c.activeShare6 === null ? null : c.activeAt6,
          c.activeShare6,
          c.activeShare12 === null ? null : c.activeAt12,
          c.activeShare12,
        ]);
        return {
          status: 200,
          csv: spreadsheetCsv([header, ...rows], asked.options),
          filename: "registration-funnel.csv",
        };
      });
    },
  },
];
