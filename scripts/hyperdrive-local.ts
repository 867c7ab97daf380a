/**
 * The Worker's `HYPERDRIVE` binding, locally: wrangler and Miniflare connect it straight to a
 * connection string instead of Hyperdrive's pool (wrangler.toml's `localConnectionString`, or this
 * variable, which wins), and refuse one without a user and a password.
 */
export const HYPERDRIVE_LOCAL_VARIABLE = "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE";

/**
 * `url` as a Hyperdrive origin: a user and a password are required, so a URL without a password
 * gets a placeholder one, which the embedded database and a trust-auth PostgreSQL never ask for.
 */
export function hyperdriveOrigin(url: string): string {
  const origin = new URL(url);
  if (!origin.username) origin.username = "postgres";
  if (!origin.password) origin.password = "local";
  return origin.toString();
}
