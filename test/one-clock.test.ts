import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, outboxEvents, paymentEvents, payments, sponsors } from "../src/db/tables";
import { dataOf, startTestApi, type TestApi } from "./testkit/api";
import { at, month } from "./testkit/dates";
import { givenParticipant } from "./testkit/fixtures";
import { gid, newKey, notify, pay } from "./testkit/payments";

/**
 * One clock (DESIGN §2): whatever the API stores or compares as "now" comes from its injected
 * Clock, never from the database's. The API here runs three years ahead of the wall clock (and of
 * the database server's), so any timestamp the database chose itself would stand out.
 */
let api: TestApi;
// Mid-month, three years after TODAY's month: far from the wall clock on any date the suite runs.
const AHEAD = at(36, 14, "09:30");

beforeAll(async () => {
  api = await startTestApi({ now: AHEAD });
});
afterAll(async () => api?.close());

/** The rows of a raw statement (the Drizzle client types `execute` loosely). */
const rowsOf = (result: unknown) => (result as { rows: unknown[] }).rows;
const sameInstant = (value: string | Date | null | undefined) => (value ? new Date(value).toISOString() : null);

describe("one clock", () => {
  it("stamps payments, channel notifications, outbox events, audit rows and sponsors with the API's clock", async () => {
    const worker = await givenParticipant(api.db, { paidThrough: month(35) });
    const payment = await pay(api, worker.id, 1);
    const reference = `CLOCK-${newKey()}`;
    const settled = await notify(api, { reference, paymentId: payment.id, status: "SETTLED", amount: payment.amount });
    expect(settled.status).toBe(200);
    const sponsor = dataOf(
      await api.graphql<{ createSponsor: { sponsor: { id: string } | null } }>(
        `mutation ($input: CreateSponsorInput!) { createSponsor(input: $input) { sponsor { id } } }`,
        { input: { name: "PT Jam Satu", kind: "COMPANY", program: "SERTAKAN" } },
      ),
    ).createSponsor.sponsor;
    expect(sponsor).not.toBeNull();

    const stamps = [
      ...(await api.db.select({ at: payments.createdAt }).from(payments)),
      ...(await api.db.select({ at: paymentEvents.receivedAt }).from(paymentEvents)),
      ...(await api.db.select({ at: outboxEvents.occurredAt }).from(outboxEvents)),
      ...(await api.db.select({ at: auditLog.occurredAt }).from(auditLog)),
      ...(await api.db.select({ at: sponsors.createdAt }).from(sponsors)),
    ].map((row) => sameInstant(row.at));
    // payment, notification, its events, audit of pay + notification + createSponsor, the sponsor
    expect(stamps.length).toBeGreaterThanOrEqual(7);
    expect(new Set(stamps)).toEqual(new Set([AHEAD]));
    // The payment settled for the month the API's clock is in, not the database's.
    const view = dataOf(
      await api.graphql<{ participant: { paidThrough: string; status: string } }>(
        `query ($id: ID!) { participant(id: $id) { paidThrough status } }`,
        { id: gid("Participant", worker.id) },
      ),
    ).participant;
    expect(view).toEqual({ paidThrough: month(36).slice(0, 7), status: "ACTIVE" });
  });

  it("follows the clock when it moves: the next row carries the new instant", async () => {
    const later = at(37, 2, "08:00");
    api.setToday(later);
    try {
      const worker = await givenParticipant(api.db, { paidThrough: month(36) });
      await pay(api, worker.id, 1);
      const [latest] = await api.db
        .select({ at: payments.createdAt })
        .from(payments)
        .orderBy(sql`${payments.id} desc`)
        .limit(1);
      expect(sameInstant(latest?.at)).toBe(later);
    } finally {
      api.setToday(AHEAD);
    }
  });

  it("leaves the database no clock of its own: no column default and no function reads it", async () => {
    const defaults = await api.db.execute(sql`
      select table_name, column_name, column_default from information_schema.columns
      where table_schema = 'public'
        and column_default ~* '(now\\(\\)|current_timestamp|current_date|localtimestamp|clock_timestamp|statement_timestamp|transaction_timestamp)'`);
    expect(rowsOf(defaults)).toEqual([]);
    const functions = await api.db.execute(sql`
      select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public'
        and p.prosrc ~* '(now\\(\\)|current_timestamp|current_date|localtimestamp|clock_timestamp|statement_timestamp|transaction_timestamp)'`);
    expect(rowsOf(functions)).toEqual([]);
  });

  it("refuses a row that forgets its timestamp instead of stamping it with the server's time", async () => {
    await expect(
      api.db.execute(sql`insert into sponsors (name, kind, program) values ('PT Tanpa Jam', 'COMPANY', 'SERTAKAN')`),
    ).rejects.toThrow();
    const stored = await api.db.execute(sql`select 1 from sponsors where name = 'PT Tanpa Jam'`);
    expect(rowsOf(stored)).toEqual([]);
  });
});
