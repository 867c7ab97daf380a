/**
 * Exits: why a member leaves for good, and what follows, as data with its legal source. Coverage is
 * counted in WIB months (participants/rules.ts).
 */
import { addDays, monthNumber, monthStart, wibDate } from "../../shared/calendar";
import { type Message, msg } from "../../shared/messages";
import type { ExitReason } from "../participants/exit-reasons";
import { ageOn } from "../participants/rules";
import type { Segment } from "../participants/tables";

/** JHT's retirement age (Permenaker 4/2022 art. 4; PP 46/2015 art. 26 as amended). */
export const exitPolicy = { retirementAge: 56 } as const;

export interface ExitRequest {
  reason: ExitReason;
  /** The day it happened (WIB): the death, the 56th birthday or later, the departure, the stop. */
  effectiveOn: string;
  jkmClaimReference: string | null;
}

export interface ExitingMember {
  birthDate: string;
  segment: Segment;
  /** The first day of the earliest open membership the exit ends. */
  startedOn: string;
}

/** What is wrong with an exit for this member today, field by field; empty when it may be recorded. */
export function exitProblems(
  request: ExitRequest,
  member: ExitingMember,
  now: Date,
): {
  field: "effectiveOn" | "reason" | "jkmClaimReference";
  code: "INVALID_EXIT_DATE" | "EXIT_NOT_ALLOWED";
  message: Message;
}[] {
  const problems: ReturnType<typeof exitProblems> = [];
  const today = wibDate(now);
  if (request.effectiveOn > today) {
    problems.push({
      field: "effectiveOn",
      code: "INVALID_EXIT_DATE",
      message: msg("INVALID_EXIT_DATE.future", { today }),
    });
  } else if (request.effectiveOn < member.startedOn) {
    problems.push({
      field: "effectiveOn",
      code: "INVALID_EXIT_DATE",
      message: msg("INVALID_EXIT_DATE.beforeStart", { startedOn: member.startedOn }),
    });
  }
  if (request.reason === "RETIREMENT_AGE") {
    const actual = ageOn(member.birthDate, request.effectiveOn);
    if (actual < exitPolicy.retirementAge) {
      problems.push({
        field: "reason",
        code: "EXIT_NOT_ALLOWED",
        message: msg("EXIT_NOT_ALLOWED.retirementAge", {
          age: exitPolicy.retirementAge,
          actual,
          on: request.effectiveOn,
        }),
      });
    }
  }
  if (request.reason === "VOLUNTARY_STOP" && member.segment !== "BPU") {
    problems.push({
      field: "reason",
      code: "EXIT_NOT_ALLOWED",
      message: msg("EXIT_NOT_ALLOWED.voluntaryStop", { segment: member.segment }),
    });
  }
  if (request.jkmClaimReference !== null && request.reason !== "DEATH") {
    problems.push({
      field: "jkmClaimReference",
      code: "EXIT_NOT_ALLOWED",
      message: msg("EXIT_NOT_ALLOWED.claimReference"),
    });
  }
  return problems;
}

/**
 * The last month an exit leaves covered: the month it happened in. The member was protected that
 * month (a death in a paid month is a JKM claim), and nothing after it can be used, so every month
 * paid beyond it is given back.
 */
export function lastCoveredMonthOfExit(effectiveOn: string): string {
  return monthStart(monthNumber(effectiveOn));
}

/**
 * Moves between the two segments that change with a job: hired (BPU → PU, the employer registers
 * and pays: PP 44/2015 art. 4) and the job ended (PU → BPU, the worker pays for themself again:
 * Permenaker 5/2021). JAKON and PMI memberships follow a project or a placement, not a move.
 */
export const movableSegments = ["BPU", "PU"] as const satisfies readonly Segment[];
export type MovableSegment = (typeof movableSegments)[number];

export interface MoveRequest {
  to: Segment;
  /** The first day in the new segment (WIB): the first working day, or the first day after the job. */
  effectiveOn: string;
  employerName: string | null;
}

/** What is wrong with a move for this member today, field by field; empty when it may be recorded. */
export function moveProblems(
  request: MoveRequest,
  member: { segment: Segment; startedOn: string },
  now: Date,
): { field: "to" | "effectiveOn" | "employer"; message: Message }[] {
  const problems: ReturnType<typeof moveProblems> = [];
  const movable = (segment: Segment): segment is MovableSegment =>
    (movableSegments as readonly Segment[]).includes(segment);
  if (request.to === member.segment) {
    problems.push({ field: "to", message: msg("INVALID_MOVE.sameSegment", { segment: member.segment }) });
  } else if (!movable(request.to) || !movable(member.segment)) {
    problems.push({ field: "to", message: msg("INVALID_MOVE.segments", { from: member.segment, to: request.to }) });
  }
  const today = wibDate(now);
  if (request.effectiveOn > today) {
    problems.push({ field: "effectiveOn", message: msg("INVALID_MOVE.future", { today }) });
  } else if (request.effectiveOn < member.startedOn) {
    problems.push({ field: "effectiveOn", message: msg("INVALID_MOVE.beforeStart", { startedOn: member.startedOn }) });
  }
  if (request.to === "PU" && request.employerName === null) {
    problems.push({ field: "employer", message: msg("INVALID_MOVE.employerRequired") });
  }
  if (request.to !== "PU" && request.employerName !== null) {
    problems.push({ field: "employer", message: msg("INVALID_MOVE.employerNotPu") });
  }
  return problems;
}

/**
 * A move's months: the old membership covers through the end of the month the move happens in
 * (what was paid for it stays), the new segment is paid from the next month, and every month paid
 * beyond that under the old segment is given back.
 */
export function moveMonths(effectiveOn: string): { lastOldMonth: string; oldEndsOn: string; firstNewMonth: string } {
  const month = monthNumber(effectiveOn);
  const next = monthStart(month + 1);
  return { lastOldMonth: monthStart(month), oldEndsOn: addDays(next, -1), firstNewMonth: next };
}
