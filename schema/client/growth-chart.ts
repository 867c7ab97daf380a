import type { ResultOf } from "./graphql";
import type { CoverageHistory } from "./operations";

/** A line chart's data: one label per month, the active count and the year's target as two series. */
export interface GrowthChart {
  labels: string[];
  active: (number | null)[];
  target: (number | null)[];
  /** Months reconstructed by the backfill, for a chart to mark (a dashed segment, a note). */
  reconstructed: string[];
}

/**
 * Turns a `CoverageHistory` answer into a chart's data (Chart.js, ECharts, Recharts all take this
 * shape): months not kept yet stay gaps (null), never zeros.
 *
 *   const { data } = await api(CoverageHistory, { from: "2024-01", to: "2026-11" });
 *   const chart = growthChart(data);   // { labels: ["2024-01", …], active: [...], target: [...] }
 */
export function growthChart(data: ResultOf<typeof CoverageHistory> | null | undefined): GrowthChart {
  const months = data?.coverageHistory ?? [];
  return {
    labels: months.map((m) => m.month),
    active: months.map((m) => m.active),
    target: months.map((m) => m.target),
    reconstructed: months.filter((m) => m.reconstructed === true).map((m) => m.month),
  };
}
