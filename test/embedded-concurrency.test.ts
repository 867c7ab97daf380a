import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./testkit/api";
import { givenParticipant } from "./testkit/fixtures";
import { gid, newKey } from "./testkit/payments";

/**
 * The local default (`npm run dev`, and this tier) is one embedded PGlite behind the same Neon
 * driver and WebSocket proxy as production: under 50 concurrent clients it must answer every one,
 * with no 500 and no dropped connection, and a mutation whose write committed returns its entity.
 */
describe.runIf(process.env.TEST_DATABASE === "pglite")(
  "the embedded database under concurrent clients (embedded PGlite only)",
  () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi();
    });
    afterAll(async () => api?.close());

    const REGISTER = `mutation ($input: RegisterParticipantInput!) {
    registerParticipant(input: $input) { participant { id fullName } userErrors { code } }
  }`;
    type Registered = {
      registerParticipant: { participant: { id: string; fullName: string } | null; userErrors: { code: string }[] };
    };
    const worker = (nik: string) => ({
      nik,
      fullName: "Pekerja Serentak",
      segment: "BPU",
      occupation: "Nelayan",
      ecosystem: "VILLAGE",
      villageCode: "32.73.01.1001",
      reportedMonthlyIncome: "1000000",
      programs: ["JKK", "JKM"],
    });

    it("answers 50 concurrent registrations, payments and reads without an error", { timeout: 120_000 }, async () => {
      const payer = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
      const requests = Array.from({ length: 50 }, (_, i) => {
        if (i % 3 === 0) {
          return api.graphql(
            `mutation ($input: PayContributionInput!) { payContribution(input: $input) { payment { id } userErrors { code } } }`,
            {
              input: {
                participantId: gid("Participant", payer.id),
                months: 1,
                channel: "BRIVA",
                idempotencyKey: newKey(),
              },
            },
          );
        }
        if (i % 3 === 1) {
          return api.graphql(`{ participants(first: 20) { totalCount nodes { id fullName status } } }`);
        }
        return api.graphql(REGISTER, { input: worker(`3171011708${String(80 + (i % 10))}${String(5000 + i)}`) });
      });
      const responses = await Promise.all(requests);
      expect(responses.filter((r) => r.status !== 200 || r.errors)).toEqual([]);
    });

    it("gives the one winner of 20 concurrent registrations of a NIK its participant", {
      timeout: 120_000,
    }, async () => {
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => api.graphql<Registered>(REGISTER, { input: worker("3171011708856001") })),
      );
      expect(responses.filter((r) => r.status !== 200 || r.errors)).toEqual([]);
      const winners = responses.filter((r) => r.data?.registerParticipant.participant);
      expect(winners).toHaveLength(1);
      expect(winners[0]?.data?.registerParticipant.participant?.fullName).toBe("Pekerja Serentak");
      const losers = responses.filter((r) => !r.data?.registerParticipant.participant);
      expect(new Set(losers.flatMap((r) => r.data?.registerParticipant.userErrors.map((e) => e.code)))).toEqual(
        new Set(["NIK_ALREADY_REGISTERED"]),
      );
    });
  },
);
