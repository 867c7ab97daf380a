import { GraphQLError } from "graphql";
import type { ModuleRoute } from "../../http/routes";
import { say } from "../../shared/messages";
import { isMonth } from "../../shared/scalars";
import { spreadsheetCsv } from "../../shared/spreadsheet-csv";
import { ecosystemCodes } from "../ecosystems/tables";
import { segments } from "../participants/tables";
import { coverageHistory } from "./service";

/**
 * The growth line as a spreadsheet, on the sponsor reports' footing (a caller's credential, the
 * dashboard's readers and scopes): `GET /reports/coverage-history.csv?from=YYYY-MM&to=YYYY-MM`
 * with at most one of `regionCode`, `ecosystem`, `segment`, `channel`; `separator=;` (default, as
 * Excel with Indonesian settings reads) or `,`; `numbers=id` for 1.234.567, `plain` by default.
 */
export const dashboardRoutes: readonly ModuleRoute[] = [
  {
    method: "GET",
    path: "/reports/coverage-history.csv",
    access: "caller",
    async handle(request) {
      const from = request.query("from");
      const to = request.query("to");
      const separator = ([";", ","] as const).find((choice) => choice === (request.query("separator") ?? ";"));
      const numbers = (["plain", "id"] as const).find((choice) => choice === (request.query("numbers") ?? "plain"));
      const ecosystem = request.query("ecosystem");
      const segment = request.query("segment");
      const problem =
        !from || !to || !isMonth(from) || !isMonth(to)
          ? say("BAD_USER_INPUT.reportMonths")
          : separator === undefined
            ? say("BAD_USER_INPUT.csvSeparator")
            : numbers === undefined
              ? say("BAD_USER_INPUT.csvNumbers")
              : ecosystem !== undefined && !(ecosystemCodes as readonly string[]).includes(ecosystem)
                ? say("BAD_USER_INPUT.ecosystem")
                : segment !== undefined && !(segments as readonly string[]).includes(segment)
                  ? say("BAD_USER_INPUT.segment")
                  : null;
      if (problem || !from || !to || !separator || !numbers) {
        return { status: 400, body: { error: { code: "BAD_USER_INPUT", message: problem ?? "" } } };
      }
      try {
        const series = await coverageHistory(request.service, {
          from: `${from}-01`,
          to: `${to}-01`,
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
          csv: spreadsheetCsv([header, ...rows], { separator, numbers }),
          filename: "coverage-history.csv",
        };
      } catch (error) {
        // The same refusals as the GraphQL field, as this route's one error shape.
        if (error instanceof GraphQLError && error.extensions.code === "BAD_USER_INPUT") {
          return { status: 400, body: { error: { code: "BAD_USER_INPUT", message: error.message } } };
        }
        throw error;
      }
    },
  },
];
