import { describe, expect, it } from "vitest";
import { parseNik } from "./nik";

const today = new Date("2026-11-15T00:00:00Z");

describe("NIK", () => {
  it("derives district, birth date and sex; women have 40 added to the day", () => {
    expect(parseNik("3171011708900001", today)).toEqual({
      districtCode: "31.71.01",
      birthDate: "1990-08-17",
      sex: "MALE",
      serial: "0001",
    });
    expect(parseNik("3273015708900002", today)).toMatchObject({ birthDate: "1990-08-17", sex: "FEMALE" });
  });

  it("reads two-digit years as the most recent year not in the future", () => {
    expect(parseNik("3171010101050001", today)).toMatchObject({ birthDate: "2005-01-01" });
    expect(parseNik("3171010101270001", today)).toMatchObject({ birthDate: "1927-01-01" });
  });

  it("refuses wrong lengths, letters, impossible dates and serial 0000", () => {
    expect(parseNik("317101170890000", today)).toEqual({ problem: "FORMAT" });
    expect(parseNik("31710117089000A1", today)).toEqual({ problem: "FORMAT" });
    expect(parseNik("3171013102900001", today)).toEqual({ problem: "BIRTH_DATE" });
    expect(parseNik("3171017102900001", today)).toEqual({ problem: "BIRTH_DATE" });
    expect(parseNik("3171010013900001", today)).toEqual({ problem: "BIRTH_DATE" });
    expect(parseNik("3171012902010001", today)).toEqual({ problem: "BIRTH_DATE" });
    expect(parseNik("3171012902000001", today)).toMatchObject({ birthDate: "2000-02-29" });
    expect(parseNik("3171011708900000", today)).toEqual({ problem: "SERIAL" });
  });

  it("refuses a birth date later than today", () => {
    expect(parseNik("3171013011260001", today)).toEqual({ problem: "BIRTH_DATE" });
    expect(parseNik("3171011511260001", today)).toMatchObject({ birthDate: "2026-11-15" });
  });
});
