/**
 * Why a member leaves for good, as data with its legal source: the membership end reasons that are
 * exits (the other, MOVED_SEGMENT, opens the next membership). The rules that apply them are in
 * membership-changes/rules.ts; the dashboard counts exits by them.
 */
import type { MembershipEndReason } from "./tables";

export const exitReasons = [
  "DEATH",
  "RETIREMENT_AGE",
  "PERMANENT_TOTAL_DISABILITY",
  "LEFT_INDONESIA",
  "VOLUNTARY_STOP",
  "DUPLICATE",
] as const satisfies readonly MembershipEndReason[];
export type ExitReason = (typeof exitReasons)[number];

/**
 * Each exit reason with the rule it comes from. The JHT reasons (age 56, permanent total
 * disability, death, leaving Indonesia for good) are Permenaker 4/2022 art. 3–4 on JHT benefits;
 * the death's JKM benefit is PP 82/2019 (Rp42 million, claimed with the death). A BPU member
 * chooses to join and may stop (Permenaker 5/2021 on BPU membership); a duplicate record is the
 * agency's own data correction, not a benefit event.
 */
export const exitReasonSources: Record<ExitReason, { source: string; paysJht: boolean; mayReturn: boolean }> = {
  DEATH: { source: "PP 82/2019 (JKM); Permenaker 4/2022 art. 3(1)(c) (JHT to heirs)", paysJht: true, mayReturn: false },
  RETIREMENT_AGE: { source: "Permenaker 4/2022 art. 3(1)(a), 4 (age 56)", paysJht: true, mayReturn: true },
  PERMANENT_TOTAL_DISABILITY: { source: "Permenaker 4/2022 art. 3(1)(b)", paysJht: true, mayReturn: true },
  LEFT_INDONESIA: {
    source: "Permenaker 4/2022 art. 3(2)–(3) (leaving Indonesia for good)",
    paysJht: true,
    mayReturn: true,
  },
  VOLUNTARY_STOP: {
    source: "Permenaker 5/2021 (BPU membership is the worker's choice)",
    paysJht: false,
    mayReturn: true,
  },
  DUPLICATE: { source: "the agency's data correction (one person, one NIK)", paysJht: false, mayReturn: false },
};
