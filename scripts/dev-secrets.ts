/**
 * The HS256 secret `npm run dev` gives the local Worker and `npm run token` signs with. For local
 * development only: production verifies tokens against JWT_JWKS_URL or a JWT_SECRET secret.
 */
export const DEVELOPMENT_JWT_SECRET =
  process.env.JWT_SECRET ?? "kepesertaan-local-development-secret-not-for-production";
