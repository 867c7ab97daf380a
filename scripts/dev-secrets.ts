/**
 * The HS256 secret `npm run dev` gives the local Worker and `npm run token` signs with. For local
 * development only: production verifies tokens against JWT_JWKS_URL or a JWT_SECRET secret.
 */
export const DEVELOPMENT_JWT_SECRET =
  process.env.JWT_SECRET ?? "kepesertaan-local-development-secret-not-for-production";

/** Webhook secrets for the demo channels under `npm run dev` (see docs/partners.md "Payment channel webhook"). */
export const DEVELOPMENT_CHANNEL_SECRETS = JSON.stringify({
  BRIVA: "dev-briva-webhook-secret",
  MANDIRI_VA: "dev-mandiri-webhook-secret",
  GOPAY: "dev-gopay-webhook-secret",
  OVO: "dev-ovo-webhook-secret",
  ALFAMART: "dev-alfamart-webhook-secret",
  INDOMARET: "dev-indomaret-webhook-secret",
});

/**
 * The key membership cards' verification codes are signed with under `npm run dev` (CARD_SIGNING_KEYS:
 * `<kid>:<base64 key>`), fixed so a code shown before a restart still checks after it.
 */
export const DEVELOPMENT_CARD_SIGNING_KEYS = `dev:${Buffer.from("kepesertaan-dev-card-signing-key").toString("base64")}`;
