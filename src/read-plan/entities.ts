import { decodeGlobalID } from "@pothos/plugin-relay";
import type { SQL } from "drizzle-orm";
import { alias, type PgColumn } from "drizzle-orm/pg-core";
import { ecosystems } from "../modules/ecosystems/tables";
import {
  maskedNik,
  maskedPhone,
  monthsInArrearsSql,
  paidThroughCondition,
  participantVisibility,
  personalDataReadable,
  visibleParticipants,
} from "../modules/participants/conditions";
import { participantOrderings, toFilter as toParticipantFilter } from "../modules/participants/graphql";
import { participantStatuses } from "../modules/participants/rules";
import { participants } from "../modules/participants/tables";
import { paymentConditions, visiblePayments } from "../modules/payments/conditions";
import { toPaymentFilter } from "../modules/payments/graphql";
import { payments } from "../modules/payments/tables";
import { REGION_CODE } from "../modules/regions/codes";
import { regions } from "../modules/regions/tables";
import { sponsorVisibility } from "../modules/sponsors/conditions";
import { sponsors } from "../modules/sponsors/tables";
import { rowId } from "../shared/ids";
import { type CursorPart, column, date, dateTime, globalId, month, rupiah } from "./sql-values";
import { type Fragment, NotPlannable, type PlanInput, type PredicateSlot, predicate, q, value } from "./statement";

/**
 * The read types the planner answers, as SQL: each GraphQL field of each type is a column
 * expression, a relation to one row, or a connection. A field missing here makes the operation
 * run on the executor. Rules (visibility, masking, filters, statuses) come from the domain
 * modules' `conditions.ts`; this file only says where each field's value lives.
 */

/** Arguments of a field as the request gives them (coerced, defaults applied). */
export type Arguments = (input: PlanInput) => Record<string, unknown>;

export interface Scalar {
  kind: "scalar";
  sql: (row: string, typeName: string) => Fragment;
}

export interface Relation {
  kind: "relation";
  target: () => Entity;
  /** The condition joining the related row (`child`) to its parent row. */
  join: (child: string, parent: string) => Fragment;
  /** The related type's per-object check; where it fails the executor answers null + FORBIDDEN. */
  check?: (child: string) => PredicateSlot;
}

export interface OrderColumn {
  column: PgColumn;
  direction: "asc" | "desc";
  /** What the drizzle cursor holds for this column. */
  cursor: (row: string) => CursorPart;
  /** A cursor value this column accepts (anything else is an invalid cursor for the executor). */
  accepts: (value: unknown) => boolean;
}

export interface Connection {
  kind: "connection";
  target: () => Entity;
  /** The rows of the connection: visibility and the field's filter (no paging). */
  where: (child: string, parent: string | null, args: Arguments) => Fragment;
  /** The ordering, tie-breaker included, as the field's resolver asks plugin-drizzle for it. */
  ordering: (args: Record<string, unknown>) => OrderColumn[];
}

/** A list kept inside the row (a JSON column): its elements' fields are scalars. */
export interface EmbeddedList {
  kind: "embedded";
  /** The FROM clause listing the elements under the alias `element`. */
  from: (row: string, element: string) => string;
  order: (element: string) => string;
  fields: Record<string, Scalar>;
}

export type Field = Scalar | Relation | Connection | EmbeddedList;

export interface Entity {
  table: typeof participants | typeof payments | typeof sponsors | typeof ecosystems | typeof regions;
  tableName: string;
  fields: Record<string, Field>;
}

/** A root field answering one row by a key from its arguments. */
export interface RootLookup {
  kind: "lookup";
  target: () => Entity;
  /** The row: `typeName` is the field's type, whose global IDs the arguments carry. */
  where: (row: string, args: Arguments, typeName: string) => Fragment;
  check?: (row: string) => PredicateSlot;
}

const scalar = (expression: (row: string, typeName: string) => string): Scalar => ({
  kind: "scalar",
  sql: (row, typeName) => [expression(row, typeName)],
});

const plain = (col: PgColumn): Scalar => scalar((row) => column(row, col.name));

const aliases = new Map<Entity["table"], Map<string, Entity["table"]>>();
/** A drizzle table under the statement's alias, for the domain's predicates to name its columns. */
function aliased<T extends Entity["table"]>(table: T, row: string): T {
  let byRow = aliases.get(table);
  if (!byRow) {
    byRow = new Map();
    aliases.set(table, byRow);
  }
  let found = byRow.get(row);
  if (!found) {
    // An alias has the table's columns under another name; drizzle types it as a table of that name.
    found = alias(table as typeof participants, row) as unknown as T;
    byRow.set(row, found);
  }
  return found as T;
}

/** A global ID argument for `typeName`, as Pothos decodes it; anything it would refuse → executor. */
export function idArgument(raw: unknown, typeName: string): number {
  if (typeof raw !== "string") throw new NotPlannable("id is not a string");
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(raw);
  } catch {
    throw new NotPlannable("invalid global id");
  }
  if (decoded.typename !== typeName) throw new NotPlannable("global id of another type");
  // Ids that are not plain digits are left to the executor's own parsing.
  if (!/^[0-9]{1,16}$/.test(decoded.id)) throw new NotPlannable("unusual id");
  return rowId(decoded.id) ?? -1;
}

const isText = (value: unknown) => typeof value === "string";
const isNumber = (value: unknown) => typeof value === "number";

function idOrder(table: typeof participants | typeof payments, direction: "asc" | "desc"): OrderColumn {
  return {
    column: table.id,
    direction,
    cursor: (row) => ({ tag: "N", number: column(row, table.id.name) }),
    accepts: isNumber,
  };
}

function timeOrder(col: PgColumn, direction: "asc" | "desc"): OrderColumn {
  return {
    column: col,
    direction,
    // drizzle reads a timestamptz in string mode as PostgreSQL's own text, and the cursor keeps it.
    cursor: (row) => ({ tag: "S", text: `${column(row, col.name)}::text` }),
    accepts: isText,
  };
}

function textOrder(col: PgColumn, direction: "asc" | "desc"): OrderColumn {
  return { column: col, direction, cursor: (row) => ({ tag: "S", text: column(row, col.name) }), accepts: isText };
}

type ParticipantFilterArgument = Parameters<typeof toParticipantFilter>[0];

/** The participants filter as the field's validation and `toFilter` read it. */
function participantFilter(raw: unknown, sponsorTypeName: string) {
  if (raw === null || raw === undefined) return toParticipantFilter(raw as ParticipantFilterArgument);
  const input = raw as Record<string, unknown>;
  const { regionCode, search, sponsorId } = input;
  // The input type's own validation: where it would refuse, the executor says how.
  if (typeof regionCode === "string" && !REGION_CODE.test(regionCode)) throw new NotPlannable("regionCode");
  if (typeof search === "string" && (search.length < 2 || search.length > 100)) throw new NotPlannable("search");
  const decoded =
    typeof sponsorId === "string"
      ? { typename: sponsorTypeName, id: String(idArgument(sponsorId, sponsorTypeName)) }
      : sponsorId;
  return toParticipantFilter({ ...input, sponsorId: decoded } as ParticipantFilterArgument);
}

type PaymentFilterArgument = Parameters<typeof toPaymentFilter>[0];

function paymentFilter(raw: unknown, participantTypeName: string, sponsorTypeName: string) {
  if (raw === null || raw === undefined) return toPaymentFilter(raw as PaymentFilterArgument);
  const input = raw as Record<string, unknown>;
  const { participantId, payerSponsorId, channel } = input;
  if (typeof channel === "string" && channel.length > 40) throw new NotPlannable("channel");
  const decode = (id: unknown, typeName: string) =>
    typeof id === "string" ? { typename: typeName, id: String(idArgument(id, typeName)) } : id;
  return toPaymentFilter({
    ...input,
    participantId: decode(participantId, participantTypeName),
    payerSponsorId: decode(payerSponsorId, sponsorTypeName),
  } as PaymentFilterArgument);
}

/** GraphQL type names of the node types, read from the schema (see compile.ts). */
export const nodeTypeNames = { participant: "Participant", sponsor: "Sponsor" };

const statusCase = (row: string): Fragment => {
  const paidThrough = (input: PlanInput, status: (typeof participantStatuses)[number]): SQL =>
    paidThroughCondition(aliased(participants, row).paidThrough, status, input.now);
  const branches = participantStatuses.map(
    (status) => q`when ${predicate((input) => paidThrough(input, status))} then '${[status]}'`,
  );
  return q`case ${branches.flat()} end`;
};

const paymentOrdering = () => [timeOrder(payments.createdAt, "desc"), idOrder(payments, "desc")];

const personal = (row: string) => predicate((input) => personalDataReadable(aliased(participants, row), input.viewer));

export const participant: Entity = {
  table: participants,
  tableName: "participants",
  fields: {
    id: scalar((row, typeName) => globalId(typeName, column(row, participants.id.name))),
    nik: {
      kind: "scalar",
      sql: (row) =>
        q`case when ${personal(row)} then ${[column(row, participants.nik.name)]} else ${predicate(() => maskedNik(aliased(participants, row).nik))} end`,
    },
    fullName: plain(participants.fullName),
    birthDate: {
      kind: "scalar",
      sql: (row) => q`case when ${personal(row)} then ${[date(column(row, participants.birthDate.name))]} end`,
    },
    birthYear: scalar((row) => `extract(year from ${column(row, participants.birthDate.name)})::int`),
    sex: plain(participants.sex),
    phone: {
      kind: "scalar",
      sql: (row) => {
        const phone = column(row, participants.phone.name);
        return q`case when ${[phone]} is null or ${personal(row)} then ${[phone]} else ${predicate(() => maskedPhone(aliased(participants, row).phone))} end`;
      },
    },
    segment: plain(participants.segment),
    occupation: plain(participants.occupation),
    riskLevel: plain(participants.riskLevel),
    reportedMonthlyIncome: scalar((row) => rupiah(column(row, participants.reportedMonthlyIncome.name))),
    programs: plain(participants.programs),
    channel: plain(participants.channel),
    registeredAt: scalar((row) => dateTime(column(row, participants.registeredAt.name))),
    paidThrough: scalar((row) => month(column(row, participants.paidThrough.name))),
    status: { kind: "scalar", sql: statusCase },
    monthsInArrears: {
      kind: "scalar",
      sql: (row) => [predicate((input) => monthsInArrearsSql(aliased(participants, row).paidThrough, input.now))],
    },
    ecosystem: {
      kind: "relation",
      target: () => ecosystem,
      join: (child, parent) => [
        `${column(child, ecosystems.code.name)} = ${column(parent, participants.ecosystemCode.name)}`,
      ],
    },
    region: {
      kind: "relation",
      target: () => region,
      join: (child, parent) => [
        `${column(child, regions.code.name)} = ${column(parent, participants.villageCode.name)}`,
      ],
    },
    sponsor: {
      kind: "relation",
      target: () => sponsor,
      join: (child, parent) => [`${column(child, sponsors.id.name)} = ${column(parent, participants.sponsorId.name)}`],
      check: (child) => predicate((input) => sponsorVisibility(aliased(sponsors, child), input.viewer)),
    },
    registeredBy: {
      kind: "relation",
      target: () => participant,
      join: (child, parent) => [
        `${column(child, participants.id.name)} = ${column(parent, participants.registeredById.name)}`,
      ],
      check: (child) => predicate((input) => participantVisibility(aliased(participants, child), input.viewer)),
    },
    payments: {
      kind: "connection",
      target: () => payment,
      where: (child, parent, args) => {
        const filter = predicate((input) =>
          paymentConditions(
            aliased(payments, child),
            paymentFilter(args(input).filter, nodeTypeNames.participant, nodeTypeNames.sponsor),
          ),
        );
        return q`${[`${column(child, payments.participantId.name)} = ${column(parent ?? "", participants.id.name)}`]} and ${filter}`;
      },
      ordering: paymentOrdering,
    },
  },
};

export const payment: Entity = {
  table: payments,
  tableName: "payments",
  fields: {
    id: scalar((row, typeName) => globalId(typeName, column(row, payments.id.name))),
    participant: {
      kind: "relation",
      target: () => participant,
      join: (child, parent) => [
        `${column(child, participants.id.name)} = ${column(parent, payments.participantId.name)}`,
      ],
      check: (child) => predicate((input) => participantVisibility(aliased(participants, child), input.viewer)),
    },
    months: plain(payments.months),
    coverageFrom: scalar((row) => month(column(row, payments.coverageFrom.name))),
    coverageThrough: scalar((row) => month(column(row, payments.coverageThrough.name))),
    amount: scalar((row) => rupiah(column(row, payments.amount.name))),
    payer: plain(payments.payer),
    payerSponsor: {
      kind: "relation",
      target: () => sponsor,
      join: (child, parent) => [`${column(child, sponsors.id.name)} = ${column(parent, payments.payerSponsorId.name)}`],
      check: (child) => predicate((input) => sponsorVisibility(aliased(sponsors, child), input.viewer)),
    },
    channel: plain(payments.channel),
    externalReference: plain(payments.externalReference),
    status: plain(payments.status),
    createdAt: scalar((row) => dateTime(column(row, payments.createdAt.name))),
    settledAt: scalar((row) => dateTime(column(row, payments.settledAt.name))),
    refundedAt: scalar((row) => dateTime(column(row, payments.refundedAt.name))),
    refundedAmount: scalar((row) => rupiah(column(row, payments.refundedAmount.name))),
    lines: {
      kind: "embedded",
      from: (row, element) =>
        `jsonb_array_elements(${column(row, payments.lines.name)}) with ordinality as ${element}(line, ord)`,
      order: (element) => `${element}.ord`,
      // ContributionLine reads the stored line: amounts as BigInt of what is stored (digits).
      fields: {
        program: scalar((element) => `${element}.line ->> 'program'`),
        monthlyAmount: scalar((element) => `${element}.line ->> 'monthlyAmount'`),
        amount: scalar((element) => `${element}.line ->> 'amount'`),
      },
    },
  },
};

export const sponsor: Entity = {
  table: sponsors,
  tableName: "sponsors",
  fields: {
    id: scalar((row, typeName) => globalId(typeName, column(row, sponsors.id.name))),
    name: plain(sponsors.name),
    kind: plain(sponsors.kind),
    program: plain(sponsors.program),
    contactEmail: plain(sponsors.contactEmail),
    contactPhone: plain(sponsors.contactPhone),
    createdAt: scalar((row) => dateTime(column(row, sponsors.createdAt.name))),
  },
};

export const ecosystem: Entity = {
  table: ecosystems,
  tableName: "ecosystems",
  fields: {
    code: plain(ecosystems.code),
    name: plain(ecosystems.name),
    description: plain(ecosystems.description),
  },
};

export const region: Entity = {
  table: regions,
  tableName: "regions",
  fields: {
    code: plain(regions.code),
    name: plain(regions.name),
    level: plain(regions.level),
    parent: {
      kind: "relation",
      target: () => region,
      join: (child, parent) => [`${column(child, regions.code.name)} = ${column(parent, regions.parentCode.name)}`],
    },
  },
};

/** The Query fields the planner answers. */
export const rootFields: Record<string, Connection | RootLookup> = {
  payments: {
    kind: "connection",
    target: () => payment,
    where: (child, _parent, args) => [
      predicate((input) =>
        visiblePayments(
          aliased(payments, child),
          paymentFilter(args(input).filter, nodeTypeNames.participant, nodeTypeNames.sponsor),
          input.viewer,
        ),
      ),
    ],
    ordering: paymentOrdering,
  },
  payment: {
    kind: "lookup",
    target: () => payment,
    where: (row, args, typeName) =>
      q`${[column(row, payments.id.name)]} = ${value((input) => idArgument(args(input).id, typeName))}::bigint`,
    // Payment's own check: payment back offices, or whoever may see its participant.
    check: (row) => predicate((input) => visiblePayments(aliased(payments, row), {}, input.viewer)),
  },
  sponsor: {
    kind: "lookup",
    target: () => sponsor,
    where: (row, args, typeName) =>
      q`${[column(row, sponsors.id.name)]} = ${value((input) => idArgument(args(input).id, typeName))}::bigint`,
    check: (row) => predicate((input) => sponsorVisibility(aliased(sponsors, row), input.viewer)),
  },
  participants: {
    kind: "connection",
    target: () => participant,
    where: (child, _parent, args) => [
      predicate((input) =>
        visibleParticipants(
          aliased(participants, child),
          participantFilter(args(input).filter, nodeTypeNames.sponsor),
          input.viewer,
          input.now,
        ),
      ),
    ],
    ordering: (args) => {
      const order = participantOrderings[args.orderBy as keyof typeof participantOrderings];
      if (!order) throw new NotPlannable("unknown ordering");
      const [[key, direction]] = Object.entries(order) as [[string, "asc" | "desc"]];
      const first =
        key === "fullName"
          ? textOrder(participants.fullName, direction)
          : timeOrder(participants.registeredAt, direction);
      // plugin-drizzle appends the primary key in the last column's direction: orderings are not unique.
      return [first, idOrder(participants, direction)];
    },
  },
  participant: {
    kind: "lookup",
    target: () => participant,
    where: (row, args, typeName) =>
      q`${[column(row, participants.id.name)]} = ${value((input) => idArgument(args(input).id, typeName))}::bigint`,
    check: (row) => predicate((input) => participantVisibility(aliased(participants, row), input.viewer)),
  },
};
