import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, identityChecks, outboxEvents, participants, sponsorshipEnrollments } from "../src/db/tables";
import type { QueueBatch, QueueMessage } from "../src/modules/events/queue";
import { offlineVerifier } from "../src/modules/identity/offline-verifier";
import {
  consumeIdentityChecks,
  drainIdentityChecks,
  type IdentityCheckMessage,
  relayIdentityChecks,
} from "../src/modules/identity/queue";
import { identityCheckPolicy } from "../src/modules/identity/rules";
import type { IdentityVerifier, VerifierResult } from "../src/modules/identity/verifier";
import { bearer, dataOf, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { givenParticipant, givenSponsor, givenSponsorship, registrationInput } from "./testkit/fixtures";
import { gid, newKey } from "./testkit/payments";

/**
 * Identity verification against the civil registry (#31 items 2, 3 and 5): registration never
 * waits for it; the queue asks the registry (here the offline verifier, or one a test scripts),
 * retries while it is unavailable, and records only the decision; policies follow the decision.
 */

let api: TestApi;
beforeAll(async () => {
  // Checks stay pending until a test runs the queue itself.
  api = await startTestApi({ verifyIdentities: false });
});
afterAll(async () => api?.close());

const REGISTER = `mutation ($input: RegisterParticipantInput!) {
  registerParticipant(input: $input) { participant { id identityStatus } userErrors { code } }
}`;
const VIEW = `query ($id: ID!) {
  participant(id: $id) { identityStatus identityChecks { reason status mismatchedFields attempts verifierVersion decidedAt } }
}`;
type View = {
  participant: {
    identityStatus: string;
    identityChecks: {
      reason: string;
      status: string;
      mismatchedFields: string[] | null;
      attempts: number;
      verifierVersion: string | null;
      decidedAt: string | null;
    }[];
  };
};

/** Registers a BPU worker born 1 Jan 1990 in 31.71.01 with this NIK serial (the offline verifier reads it). */
async function register(serial: string) {
  const response = await api.graphql<{ registerParticipant: { participant: { id: string; identityStatus: string } } }>(
    REGISTER,
    { input: registrationInput(`3171010101${serial.length === 4 ? "90" : ""}${serial}`) },
  );
  const participant = dataOf(response).registerParticipant.participant;
  return { ...participant, rowId: Number(Buffer.from(participant.id, "base64").toString().split(":")[1]) };
}
const view = async (id: string) => dataOf(await api.graphql<View>(VIEW, { id })).participant;
const now = () => api.clock.now();

describe("a registration's check", () => {
  it("never holds the registration up: UNVERIFIED at once, decided by the queue, only the decision kept", async () => {
    const worker = await register("4101");
    expect(worker.identityStatus).toBe("UNVERIFIED");
    expect((await view(worker.id)).identityChecks).toMatchObject([
      { reason: "REGISTRATION", status: "UNVERIFIED", attempts: 0, decidedAt: null },
    ]);

    // The relay hands the due check to the queue; the consumer asks the registry.
    const sent: IdentityCheckMessage[] = [];
    const queue = {
      send: async (body: IdentityCheckMessage) => void sent.push(body),
      sendBatch: async (messages: Iterable<{ body: IdentityCheckMessage }>) => {
        for (const message of messages) sent.push(message.body);
      },
    };
    expect(await relayIdentityChecks(api.db, queue, now())).toBeGreaterThanOrEqual(1);
    // Handed over once: a second relay within the requeue window sends nothing again.
    expect(await relayIdentityChecks(api.db, queue, now())).toBe(0);
    const acked: number[] = [];
    const batch: QueueBatch<IdentityCheckMessage> = {
      queue: "kepesertaan-identity-checks",
      messages: sent.map(
        (body, i): QueueMessage<IdentityCheckMessage> => ({
          id: String(i),
          body,
          attempts: 1,
          ack: () => void acked.push(body.checkId),
          retry: () => {
            throw new Error("not retried");
          },
        }),
      ),
    };
    await consumeIdentityChecks(api.db, offlineVerifier(), batch, now);
    // The queue may deliver twice: the second delivery decides nothing again.
    await consumeIdentityChecks(api.db, offlineVerifier(), batch, now);
    expect(acked).toHaveLength(sent.length * 2);

    const after = await view(worker.id);
    expect(after.identityStatus).toBe("VERIFIED");
    expect(after.identityChecks).toMatchObject([
      { status: "VERIFIED", mismatchedFields: null, attempts: 1, verifierVersion: "offline/1", decidedAt: TODAY },
    ]);
    const events = await api.db
      .select()
      .from(outboxEvents)
      .where(and(eq(outboxEvents.participantId, worker.rowId), eq(outboxEvents.type, "participant.verified")));
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({ verification: { status: "VERIFIED", reason: "REGISTRATION" } });
  });

  it.each([
    ["9997", "MISMATCH", ["name"]],
    ["9998", "MISMATCH", ["birthDate"]],
    ["9995", "DECEASED", null],
    ["9990", "NOT_FOUND", null],
  ])("serial %s: the registry's answer is %s", async (serial, status, fields) => {
    const worker = await register(serial);
    await drainIdentityChecks(api.db, offlineVerifier(), now());
    const after = await view(worker.id);
    expect(after.identityStatus).toBe(status);
    expect(after.identityChecks[0]).toMatchObject({ status, mismatchedFields: fields });
    const [event] = await api.db
      .select()
      .from(outboxEvents)
      .where(
        and(eq(outboxEvents.participantId, worker.rowId), eq(outboxEvents.type, "participant.verification_failed")),
      );
    expect(event?.data).toMatchObject({ verification: { status, mismatchedFields: fields ?? [] } });
  });
});

describe("a registry that is down", () => {
  /** A registry unavailable for its first `down` calls, then answering that the person matches. */
  function flakyRegistry(down: number): IdentityVerifier & { calls: number } {
    const verifier = {
      version: "scripted/1",
      calls: 0,
      async verify(): Promise<VerifierResult> {
        verifier.calls += 1;
        if (verifier.calls <= down) return { kind: "UNAVAILABLE", reason: "503", retryable: true };
        return {
          kind: "ANSWERED",
          answer: {
            nikFound: true,
            name: { matches: true, similarity: 1 },
            birthDateMatches: true,
            deceased: false,
            faceMatchScore: null,
          },
        };
      },
    };
    return verifier;
  }

  it("is asked again after each wait, and the check is decided when it comes back", async () => {
    const worker = await register("4102");
    const registry = flakyRegistry(2);
    let at = now();
    await drainIdentityChecks(api.db, registry, at);
    expect((await view(worker.id)).identityChecks[0]).toMatchObject({ status: "UNVERIFIED", attempts: 1 });
    // Not due again before its wait: nothing asked.
    await drainIdentityChecks(api.db, registry, new Date(at.getTime() + 30_000));
    expect(registry.calls).toBe(1);
    for (const minutes of identityCheckPolicy.retryAfterMinutes.slice(0, 2)) {
      at = new Date(at.getTime() + minutes * 60_000);
      await drainIdentityChecks(api.db, registry, at);
    }
    expect(registry.calls).toBe(3);
    expect(await view(worker.id)).toMatchObject({
      identityStatus: "VERIFIED",
      identityChecks: [{ status: "VERIFIED", attempts: 3, verifierVersion: "scripted/1" }],
    });
  });

  it("ends UNAVAILABLE when every retry is used up", async () => {
    const worker = await register("9999"); // the offline registry never answers this serial
    let at = now();
    await drainIdentityChecks(api.db, offlineVerifier(), at);
    for (const minutes of identityCheckPolicy.retryAfterMinutes) {
      at = new Date(at.getTime() + minutes * 60_000);
      await drainIdentityChecks(api.db, offlineVerifier(), at);
    }
    const after = await view(worker.id);
    expect(after.identityStatus).toBe("UNAVAILABLE");
    expect(after.identityChecks[0]).toMatchObject({
      status: "UNAVAILABLE",
      attempts: identityCheckPolicy.retryAfterMinutes.length + 1,
    });
  });
});

describe("an officer's re-run", () => {
  const RECHECK = `mutation ($input: RecheckIdentityInput!) {
    recheckIdentity(input: $input) { check { reason status } userErrors { field code message } }
  }`;
  type Rechecked = {
    recheckIdentity: {
      check: { reason: string; status: string } | null;
      userErrors: { field: string[]; code: string; message: string }[];
    };
  };

  it("asks again once, within the officer's region, audited, and at most 30 an hour", async () => {
    const officer = await bearer({ role: "OFFICER", region: "31.71", subject: "officer-rerun" });
    const worker = await givenParticipant(api.db, { identityStatus: "UNAVAILABLE" });
    const input = { participantId: gid("Participant", worker.id) };
    const first = dataOf(await api.graphql<Rechecked>(RECHECK, { input }, officer)).recheckIdentity;
    expect(first).toEqual({ check: { reason: "OFFICER_RERUN", status: "UNVERIFIED" }, userErrors: [] });
    // Already pending: the same check, not a second call to the registry.
    const again = dataOf(await api.graphql<Rechecked>(RECHECK, { input }, officer)).recheckIdentity;
    expect(again.check).toEqual(first.check);
    expect(await api.db.$count(identityChecks, eq(identityChecks.participantId, worker.id))).toBe(1);
    const audits = await api.db.select().from(auditLog).where(eq(auditLog.operation, "recheckIdentity"));
    expect(audits.map((row) => row.outcome)).toEqual(["SUCCEEDED", "REPLAYED"]);

    const elsewhere = dataOf(
      await api.graphql<Rechecked>(RECHECK, { input }, await bearer({ role: "OFFICER", region: "32" })),
    ).recheckIdentity;
    expect(elsewhere.userErrors).toMatchObject([{ code: "NOT_FOUND" }]);
    const sponsor = await api.graphql(RECHECK, { input }, await bearer({ role: "SPONSOR", sponsorId: 1 }));
    expect(sponsor.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");

    const others = await Promise.all(
      Array.from({ length: identityCheckPolicy.reruns.perHour }, () => givenParticipant(api.db)),
    );
    const answers: Rechecked["recheckIdentity"][] = [];
    for (const other of others) {
      answers.push(
        dataOf(
          await api.graphql<Rechecked>(RECHECK, { input: { participantId: gid("Participant", other.id) } }, officer),
        ).recheckIdentity,
      );
    }
    // One already asked above: the 30th of the hour passes, the 31st is refused.
    expect(answers.slice(0, -1).every((answer) => answer.userErrors.length === 0)).toBe(true);
    expect(answers.at(-1)?.userErrors).toMatchObject([{ code: "LIMIT_REACHED", field: ["input", "participantId"] }]);
  });
});

describe("policy follows the decision", () => {
  it("gives Nyalakan credit for verified referrals only", async () => {
    const registrant = await givenParticipant(api.db, { villageCode: "31.71.02.1001" });
    for (const identityStatus of ["VERIFIED", "MISMATCH", "NOT_FOUND"] as const) {
      await givenParticipant(api.db, {
        registeredById: registrant.id,
        identityStatus,
        villageCode: "31.71.02.1001",
        paidThrough: `${TODAY.slice(0, 7)}-01`,
      });
    }
    const board = dataOf(
      await api.graphql<{
        referralLeaderboard: { registrant: { id: string }; registeredReferrals: number; activeReferrals: number }[];
      }>(`{ referralLeaderboard(regionCode: "31.71.02") { registrant { id } registeredReferrals activeReferrals } }`),
    ).referralLeaderboard;
    expect(board).toEqual([
      { registrant: { id: gid("Participant", registrant.id) }, registeredReferrals: 1, activeReferrals: 1 },
    ]);
  });

  it("has a sponsor's batch pay verified workers only, naming the others", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Periksa Dulu" });
    const sponsorship = await givenSponsorship(api.db, sponsor.id);
    const verified = await givenParticipant(api.db, { programs: ["JKK", "JKM"], sponsorId: sponsor.id });
    const unverified = await givenParticipant(api.db, {
      programs: ["JKK", "JKM"],
      sponsorId: sponsor.id,
      identityStatus: "MISMATCH",
    });
    await api.db.insert(sponsorshipEnrollments).values(
      [verified, unverified].map((worker) => ({
        sponsorshipId: sponsorship.id,
        participantId: worker.id,
        enrolledAt: TODAY,
      })),
    );
    const paid = dataOf(
      await api.graphql<{
        paySponsoredContributions: {
          batch: { paymentCount: number };
          skippedWorkers: { code: string; message: string }[];
        };
      }>(
        `mutation ($input: PaySponsoredContributionsInput!) { paySponsoredContributions(input: $input) { batch { paymentCount } skippedWorkers { code message } } }`,
        { input: { sponsorshipId: gid("Sponsorship", sponsorship.id), months: 1, idempotencyKey: newKey() } },
      ),
    ).paySponsoredContributions;
    expect(paid.batch.paymentCount).toBe(1);
    expect(paid.skippedWorkers).toMatchObject([{ code: "IDENTITY_NOT_VERIFIED" }]);
    expect(paid.skippedWorkers[0]?.message).toContain("MISMATCH");
  });

  it("lists the registry's deaths for an officer to confirm, and exits no one by itself", async () => {
    const deceased = await givenParticipant(api.db, { identityStatus: "DECEASED", villageCode: "31.71.03.1001" });
    const list = dataOf(
      await api.graphql<{ participants: { nodes: { id: string; status: string }[] } }>(
        `{ participants(first: 10, filter: { identityStatus: DECEASED, regionCode: "31.71.03" }) { nodes { id status } } }`,
        undefined,
        await bearer({ role: "OFFICER", region: "31.71" }),
      ),
    ).participants;
    expect(list.nodes).toEqual([{ id: gid("Participant", deceased.id), status: "PENDING" }]);
    const [row] = await api.db.select().from(participants).where(eq(participants.id, deceased.id));
    expect(row?.exitedOn).toBeNull();
  });

  it("shows the verified share by region and channel, in the dashboard's scopes", async () => {
    for (const identityStatus of ["VERIFIED", "VERIFIED", "NOT_FOUND"] as const) {
      await givenParticipant(api.db, { identityStatus, villageCode: "31.74.01.1001", channel: "NYALAKAN" });
    }
    const SHARE = `{ verifiedShare(regionCode: "31.74") { regionCode channel registered verified share } }`;
    const shares = dataOf(
      await api.graphql<{
        verifiedShare: { regionCode: string; channel: string; registered: number; verified: number; share: number }[];
      }>(SHARE, undefined, await bearer({ role: "OFFICER", region: "31.74" })),
    ).verifiedShare;
    expect(shares).toContainEqual({
      regionCode: "31.74.01",
      channel: "NYALAKAN",
      registered: 3,
      verified: 2,
      share: 2 / 3,
    });
    const elsewhere = await api.graphql(SHARE, undefined, await bearer({ role: "OFFICER", region: "32" }));
    expect(elsewhere.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});
