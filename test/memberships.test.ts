import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memberships, participants } from "../src/db/tables";
import { kpjFor, MAX_KPJ_SERIAL, parseKpj } from "../src/modules/participants/kpj";
import { bearer, dataOf, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { givenParticipant } from "./testkit/fixtures";

/**
 * Memberships and KPJ numbers (#30 item 1): every registration opens a membership with its own KPJ
 * number, whatever the path; a KPJ lookup follows the NIK lookup's rules, and a mistyped number is
 * refused before anything is looked up.
 */

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.close());

const REGISTER = `mutation ($input: RegisterParticipantInput!) {
  registerParticipant(input: $input) { participant { id kpj memberships { kpj segment programs startedOn endedOn endReason employer { name } } } userErrors { code } }
}`;
type Registered = {
  registerParticipant: {
    participant: {
      id: string;
      kpj: string;
      memberships: {
        kpj: string;
        segment: string;
        programs: string[];
        startedOn: string;
        endedOn: null;
        endReason: null;
      }[];
    };
  };
};
const input = (nik: string) => ({
  nik,
  fullName: "Wulan Sari",
  segment: "BPU",
  occupation: "Nelayan",
  ecosystem: "VILLAGE",
  villageCode: "32.73.01.1001",
  reportedMonthlyIncome: "1500000",
  programs: ["JKK", "JKM"],
});
const LOOKUP = `query ($kpj: String!) { participantByKpj(kpj: $kpj) { fullName nik kpj } }`;

/** Swaps two adjacent digits of a number (a typo Luhn's check would miss for 0 and 9). */
const swapped = (kpj: string, at: number) => `${kpj.slice(0, at)}${kpj[at + 1]}${kpj[at]}${kpj.slice(at + 2)}`;

describe("memberships and KPJ numbers", () => {
  it("opens a membership with a valid KPJ number at registration, from the registration day (WIB)", async () => {
    const registered = dataOf(await api.graphql<Registered>(REGISTER, { input: input("3171011708900301") }));
    const { participant } = registered.registerParticipant;
    expect(participant.memberships).toEqual([
      {
        kpj: participant.kpj,
        segment: "BPU",
        programs: ["JKK", "JKM"],
        startedOn: TODAY.slice(0, 10),
        endedOn: null,
        endReason: null,
        employer: null,
      },
    ]);
    expect(parseKpj(participant.kpj)).toEqual({ kpj: participant.kpj });
  });

  it("gives every registration its own number, on every path into participants (a direct insert too)", async () => {
    const first = dataOf(await api.graphql<Registered>(REGISTER, { input: input("3171011708900302") }));
    const inserted = await givenParticipant(api.db, { nik: "3171011708900303" });
    const [row] = await api.db.select().from(memberships).where(eq(memberships.participantId, inserted.id));
    expect(row?.kpj).toMatch(/^[0-9]{11}$/);
    expect(row?.kpj).not.toBe(first.registerParticipant.participant.kpj);
    expect(parseKpj(row?.kpj ?? "")).toEqual({ kpj: row?.kpj });
  });

  it("refuses a second open membership in one segment, whatever writes it", async () => {
    const participant = await givenParticipant(api.db, { nik: "3171011708900304" });
    await expect(
      api.db.insert(memberships).values({
        participantId: participant.id,
        segment: participant.segment,
        programs: participant.programs,
        startedOn: TODAY.slice(0, 10),
      }),
    ).rejects.toThrow();
    expect(await api.db.$count(memberships, eq(memberships.participantId, participant.id))).toBe(1);
  });

  it("finds a worker by KPJ for pii:read holders within their view, as a NIK lookup does", async () => {
    const participant = await givenParticipant(api.db, { nik: "3171011708900305", fullName: "Cari Kartu" });
    const [membership] = await api.db.select().from(memberships).where(eq(memberships.participantId, participant.id));
    const kpj = membership?.kpj ?? "";
    expect(dataOf(await api.graphql<{ participantByKpj: unknown }>(LOOKUP, { kpj })).participantByKpj).toEqual({
      fullName: "Cari Kartu",
      nik: "3171011708900305",
      kpj,
    });
    // As printed on a card, in groups.
    const grouped = `${kpj.slice(0, 2)} ${kpj.slice(2, 5)}-${kpj.slice(5)}`;
    expect(
      dataOf(await api.graphql<{ participantByKpj: { kpj: string } }>(LOOKUP, { kpj: grouped })).participantByKpj.kpj,
    ).toBe(kpj);
    const noPii = await api.graphql(LOOKUP, { kpj }, await bearer({ role: "OFFICER", region: "31" }));
    expect(noPii.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const elsewhere = await api.graphql(
      LOOKUP,
      { kpj },
      await bearer({ role: "OFFICER", region: "32", scopes: ["pii:read"] }),
    );
    expect(elsewhere.data).toEqual({ participantByKpj: null });
    const inRegion = await api.graphql(
      LOOKUP,
      { kpj },
      await bearer({ role: "OFFICER", region: "31", scopes: ["pii:read"] }),
    );
    expect(inRegion.data).toEqual({ participantByKpj: { fullName: "Cari Kartu", nik: "3171011708900305", kpj } });
  });

  it("masks KPJ numbers as NIKs are masked: the last four digits without pii:read, in full to the worker", async () => {
    const participant = await givenParticipant(api.db, { nik: "3171011708900308" });
    const [membership] = await api.db.select().from(memberships).where(eq(memberships.participantId, participant.id));
    const kpj = membership?.kpj ?? "";
    const query = `query ($id: ID!) { participant(id: $id) { nik kpj memberships { kpj } } }`;
    const variables = { id: btoa(`Participant:${participant.id}`) };
    const masked = `*******${kpj.slice(-4)}`;
    const officer = await api.graphql(query, variables, await bearer({ role: "OFFICER", region: "31" }));
    expect(officer.data).toEqual({
      participant: { nik: "3171************", kpj: masked, memberships: [{ kpj: masked }] },
    });
    const withPii = await api.graphql(
      query,
      variables,
      await bearer({ role: "OFFICER", region: "31", scopes: ["pii:read"] }),
    );
    expect(withPii.data).toEqual({ participant: { nik: "3171011708900308", kpj, memberships: [{ kpj }] } });
    const themself = await api.graphql(
      query,
      variables,
      await bearer({ role: "PARTICIPANT", participantId: participant.id }),
    );
    expect(themself.data).toEqual({ participant: { nik: "3171011708900308", kpj, memberships: [{ kpj }] } });
  });

  it("keeps the open membership's programs the participant's, whatever changes them", async () => {
    const participant = await givenParticipant(api.db, { nik: "3171011708900309", programs: ["JKK", "JKM"] });
    const updated = await api.graphql<{ updateParticipant: { userErrors: unknown[] } }>(
      `mutation ($input: UpdateParticipantInput!) { updateParticipant(input: $input) { userErrors { code } } }`,
      { input: { id: btoa(`Participant:${participant.id}`), programs: ["JKK", "JKM", "JHT"] } },
    );
    expect(dataOf(updated).updateParticipant.userErrors).toEqual([]);
    const [open] = await api.db.select().from(memberships).where(eq(memberships.participantId, participant.id));
    expect(open?.programs).toEqual(["JKK", "JKM", "JHT"]);
  });

  it("answers an unknown but well-formed number as it answers an unknown NIK: null", async () => {
    // The largest serial the sequence can reach, far beyond any given in a test.
    const unknown = kpjFor(MAX_KPJ_SERIAL);
    expect(parseKpj(unknown)).toEqual({ kpj: unknown });
    expect(
      dataOf(await api.graphql<{ participantByKpj: unknown }>(LOOKUP, { kpj: unknown })).participantByKpj,
    ).toBeNull();
  });

  it("refuses a mistyped number before any lookup, saying what is wrong", async () => {
    const participant = await givenParticipant(api.db, { nik: "3171011708900306" });
    const [membership] = await api.db.select().from(memberships).where(eq(memberships.participantId, participant.id));
    const kpj = membership?.kpj ?? "";
    const at = [...kpj].findIndex((digit, i) => digit !== kpj[i + 1]);
    const before = api.statements.length;
    const typo = await api.graphql(LOOKUP, { kpj: swapped(kpj, at) });
    expect(typo.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(typo.errors?.[0]?.message).toMatch(/check digit does not match/);
    const short = await api.graphql(LOOKUP, { kpj: kpj.slice(1) });
    expect(short.errors?.[0]?.message).toMatch(/11 digits/);
    const indonesian = await api.graphql(
      LOOKUP,
      { kpj: swapped(kpj, at) },
      { ...(await bearer({ role: "ADMIN" })), "accept-language": "id" },
    );
    expect(indonesian.errors?.[0]?.message).toMatch(/Digit pemeriksa/);
    // Authentication reads nothing for a token; no statement looked for a membership.
    expect(api.statements.slice(before).filter((statement) => statement.includes("memberships"))).toEqual([]);
  });

  it("numbers the memberships of participants registered before memberships existed (the migration's backfill)", async () => {
    // A participant as the migration found them: registered with no trigger to open a membership.
    await api.db.execute(sql`alter table participants disable trigger participants_first_membership`);
    const before = await givenParticipant(api.db, { nik: "3171011708900307" });
    await api.db.execute(sql`alter table participants enable trigger participants_first_membership`);
    expect(await api.db.$count(memberships, eq(memberships.participantId, before.id))).toBe(0);
    // The migration's own backfill statement, run again: it numbers that one and no one twice.
    const folder = readdirSync("migrations").find((name) => name.endsWith("_memberships_opened"));
    const statements = readFileSync(join("migrations", folder ?? "", "migration.sql"), "utf8").split(
      "--> statement-breakpoint",
    );
    const backfill = statements.find((statement) => statement.includes("INSERT INTO memberships")) ?? "";
    const total = await api.db.$count(memberships);
    await api.db.execute(sql.raw(backfill));
    expect(await api.db.$count(memberships)).toBe(total + 1);
    const [opened] = await api.db.select().from(memberships).where(eq(memberships.participantId, before.id));
    expect(opened).toMatchObject({ segment: before.segment, programs: before.programs, endedOn: null });
    expect(parseKpj(opened?.kpj ?? "")).toEqual({ kpj: opened?.kpj });
    const orphans = await api.db.$count(
      participants,
      sql`not exists (select 1 from memberships m where m.participant_id = ${participants.id} and m.ended_on is null)`,
    );
    expect(orphans).toBe(0);
  });
});
