/**
 * `npm run token -- --role ADMIN` prints a development Bearer token for the local API.
 *   --role ADMIN|OFFICER|SPONSOR|PARTNER|PARTICIPANT   --region 31.71 (OFFICER)
 *   --sponsor <id> (SPONSOR)   --participant <id> (PARTICIPANT)   --scopes pii:read,payments:write
 *   --subject <id>   --expires 12h   --client jmo (a first-party app's token: registered operations only)
 * Signed with the secret the local Worker checks: .dev.vars' JWT_SECRET when it sets one, else
 * `npm run dev`'s (scripts/dev-secrets.ts).
 */
import { parseArgs } from "node:util";
import { type Role, roles, type Scope, scopes } from "../src/modules/access/rules";
import { signDevelopmentToken } from "../src/modules/credentials/tokens";
import { DEVELOPMENT_JWT_SECRET } from "./dev-secrets";
import { readDevVars } from "./dev-vars";

const { values } = parseArgs({
  options: {
    role: { type: "string", default: "ADMIN" },
    region: { type: "string" },
    sponsor: { type: "string" },
    participant: { type: "string" },
    scopes: { type: "string", default: "" },
    subject: { type: "string" },
    expires: { type: "string", default: "12h" },
    client: { type: "string" },
  },
});
const role = values.role as Role;
if (!roles.includes(role)) {
  console.error(`--role must be one of ${roles.join(", ")}`);
  process.exit(2);
}
const requested = (values.scopes ?? "").split(",").filter(Boolean);
const unknown = requested.filter((s) => !(scopes as readonly string[]).includes(s));
if (unknown.length > 0) {
  console.error(`Unknown scopes: ${unknown.join(", ")}. Known: ${scopes.join(", ")}`);
  process.exit(2);
}
const token = await signDevelopmentToken(
  {
    subject: values.subject ?? `dev-${role.toLowerCase()}`,
    role,
    scopes: requested as Scope[],
    ...(values.region ? { region: values.region } : {}),
    ...(values.sponsor ? { sponsorId: Number(values.sponsor) } : {}),
    ...(values.participant ? { participantId: Number(values.participant) } : {}),
    ...(values.client ? { clientId: values.client } : {}),
  },
  readDevVars().JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
  values.expires,
);
console.log(token);
