/**
 * Operations a frontend starts from. Every document here is registered at build time
 * (`npm run client:generate` → `persisted-operations.json`): the JMO app sends its id, not its text.
 */
import { graphql } from "./graphql";

/** A page of participants with cursor paging: pass `pageInfo.endCursor` as `after` for the next page. */
export const ParticipantsPage = graphql(`
  query ParticipantsPage($first: Int!, $after: String, $filter: ParticipantFilter) {
    participants(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        endCursor
        hasNextPage
      }
      nodes {
        id
        fullName
        status
        paidThrough
        nextDueDate
        ecosystem {
          code
        }
        region {
          code
          name
        }
      }
    }
  }
`);

/** Registration: check `userErrors` first (each with a `field` path, a `code` and a message for people). */
export const RegisterParticipant = graphql(`
  mutation RegisterParticipant($input: RegisterParticipantInput!) {
    registerParticipant(input: $input) {
      participant {
        id
        status
        nextDueDate
      }
      existingParticipant {
        id
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

/** What a contribution costs (public, no login): a quote, or userErrors for input that cannot be priced. */
export const QuoteContribution = graphql(`
  query QuoteContribution($input: ContributionQuoteInput!) {
    quoteContribution(input: $input) {
      quote {
        total
        monthlyTotal
        months
        lines {
          program
          monthlyAmount
          amount
        }
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

/** The growth dashboard (ADMIN, or an OFFICER within their region). */
export const CoverageDashboard = graphql(`
  query CoverageDashboard($regionCode: String, $ecosystem: EcosystemCode) {
    coverageDashboard(regionCode: $regionCode, ecosystem: $ecosystem) {
      asOf
      registered
      active
      grace
      inactive
      target
      progress
      activeThisMonth
      activeLastMonth
      netGrowth
      byEcosystem {
        key
        active
        target
        progress
      }
    }
  }
`);

/** The growth line (ADMIN, or an OFFICER within their region): closed months with the year's target. */
export const CoverageHistory = graphql(`
  query CoverageHistory($from: Month!, $to: Month!, $regionCode: String, $ecosystem: EcosystemCode) {
    coverageHistory(from: $from, to: $to, regionCode: $regionCode, ecosystem: $ecosystem) {
      month
      registered
      active
      target
      targetSource
      gapToTarget
      revision
      reconstructed
    }
  }
`);

/**
 * The member's card in the JMO app (their own PARTICIPANT token): put `verificationCode.code` into
 * the card's QR as it is, and ask again when `expiresAt` is near (codes live 24 hours).
 */
export const MyMembership = graphql(`
  query MyMembership {
    myMembership {
      fullName
      nik
      kpj
      segment
      programs
      status
      paidThrough
      issuedOn
      validUntil
      verificationCode {
        code
        expiresAt
      }
      jhtSavings {
        total
        months {
          month
          amount
        }
      }
    }
  }
`);

/** A verifier app checks a scanned card (public): only a VALID card carries its holder's details. */
export const VerifyMembershipCard = graphql(`
  query VerifyMembershipCard($code: String!) {
    verifyMembershipCard(code: $code) {
      status
      message
      codeExpiresAt
      card {
        initials
        kpj
        segment
        status
        validUntil
      }
    }
  }
`);

/** The documents the first-party apps may run, by name: the build registers each (trusted documents). */
export const trustedDocuments = {
  ParticipantsPage,
  RegisterParticipant,
  QuoteContribution,
  CoverageDashboard,
  CoverageHistory,
  MyMembership,
  VerifyMembershipCard,
};
