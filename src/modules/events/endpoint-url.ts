/**
 * Where a webhook may be sent. Deliveries are requests the API makes on a partner's behalf, so in
 * production a destination must be a public host: never this machine, its network, the cloud's
 * metadata service, or a name that only resolves inside a network. Pure rules over the parsed URL
 * and over IP addresses; the delivery applies the same ones again to the address a name resolves
 * to (delivery.ts).
 */
import ipaddr from "ipaddr.js";

/** Why a destination is refused (kept in logs and in a paused endpoint's reason). */
export type DestinationRefusal =
  /** An IP address in a special-use range: loopback, private, link-local, CGNAT, documentation, ... */
  | "SPECIAL_USE_ADDRESS"
  /** A name that resolves only inside a network (`localhost`, `*.internal`, a single label, ...). */
  | "INTERNAL_NAME"
  /** A public wildcard DNS service whose names resolve to any address asked for (`127.0.0.1.nip.io`). */
  | "WILDCARD_DNS";

/**
 * Suffixes that never name a public host: IANA's special-use domain names (RFC 6761, 6762, 7686,
 * 8375, 9476), ICANN's private-use `.internal`, and pseudo-TLDs common inside companies.
 */
const internalSuffixes = [
  "localhost",
  "local",
  "internal",
  "test",
  "invalid",
  "example",
  "onion",
  "alt",
  "arpa",
  "lan",
  "home",
  "corp",
  "intranet",
  "private",
];

/**
 * Public DNS services that answer any name with the address written in it, or with 127.0.0.1.
 * A best effort: such services come and go; the delivery's check of the resolved address is what
 * holds where the runtime can resolve.
 */
const wildcardDnsServices = [
  "nip.io",
  "sslip.io",
  "xip.io",
  "traefik.me",
  "localtest.me",
  "lvh.me",
  "vcap.me",
  "fuf.me",
  "lacolhost.com",
  "localhost.direct",
  "local.gd",
];

/** NAT64's well-known prefix (RFC 6052): the IPv4 address it carries decides. */
const nat64 = ipaddr.IPv6.parseCIDR("64:ff9b::/96");
/** Global unicast: every IPv6 address a public host may have lies inside it. */
const globalUnicast = ipaddr.IPv6.parseCIDR("2000::/3");

function isSpecialUseIPv4(address: ipaddr.IPv4): boolean {
  // ipaddr.js's ranges follow IANA's IPv4 special-purpose registry: "unicast" is what is left.
  return address.range() !== "unicast";
}

function isSpecialUseIPv6(address: ipaddr.IPv6): boolean {
  if (address.match(nat64)) return isSpecialUseIPv4(embeddedIPv4(address));
  // IPv4-mapped (::ffff:a.b.c.d) and every other special range; IPv4-compatible (::a.b.c.d) and
  // anything unallocated fall outside 2000::/3.
  return address.range() !== "unicast" || !address.match(globalUnicast);
}

function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 {
  const bytes = address.toByteArray().slice(12);
  return new ipaddr.IPv4(bytes);
}

/**
 * Whether an IP address (`127.0.0.1`, `::1`, `[::1]`) lies in a range a delivery may not reach.
 * Text that is not an IP address is not special-use (names are judged by `destinationRefusal`).
 */
export function isSpecialUseAddress(text: string): boolean {
  const literal = text.replace(/^\[(.*)\]$/, "$1");
  if (ipaddr.IPv4.isValidFourPartDecimal(literal)) return isSpecialUseIPv4(ipaddr.IPv4.parse(literal));
  if (ipaddr.IPv6.isValid(literal)) return isSpecialUseIPv6(ipaddr.IPv6.parse(literal));
  return false;
}

/** The host a URL names: lower case (the URL parser did that, and IDNA), without trailing dots. */
function hostOf(url: URL): string {
  return url.hostname.replace(/\.+$/, "");
}

/**
 * An endpoint URL as stored: parsed by the WHATWG URL parser (which lower-cases the host, applies
 * IDNA and writes IPv4 and IPv6 literals in their canonical form), its host's trailing dots
 * removed. Null when it is not a URL, carries credentials, or holds whitespace or control
 * characters anywhere (the parser would silently drop some; the stored text must be what is called).
 */
export function normaliseEndpointUrl(text: string): URL | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\s\u0000-\u001f\u007f]/u.test(text)) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  if (url.username || url.password) return null;
  const host = hostOf(url);
  if (host === "" || host.startsWith(".") || host.includes("..")) return null;
  if (host !== url.hostname) url.hostname = host;
  return url;
}

/**
 * Why a production delivery may not go to this URL's host, or null when it may: special-use IP
 * literals (IPv4, IPv6, and IPv4 carried in IPv6), internal names, and loopback DNS services.
 */
export function destinationRefusal(url: URL): DestinationRefusal | null {
  const host = hostOf(url);
  if (host.startsWith("[") || ipaddr.IPv4.isValidFourPartDecimal(host)) {
    return isSpecialUseAddress(host) ? "SPECIAL_USE_ADDRESS" : null;
  }
  const labels = host.split(".");
  if (labels.length < 2) return "INTERNAL_NAME";
  const endsWith = (suffix: string) => host === suffix || host.endsWith(`.${suffix}`);
  if (internalSuffixes.some(endsWith)) return "INTERNAL_NAME";
  if (wildcardDnsServices.some(endsWith)) return "WILDCARD_DNS";
  return null;
}
