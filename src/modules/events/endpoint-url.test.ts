import { describe, expect, it } from "vitest";
import { destinationRefusal, isSpecialUseAddress, normaliseEndpointUrl } from "./endpoint-url";
import { endpointUrl } from "./validation";

const refusalOf = (text: string) => {
  const url = normaliseEndpointUrl(text);
  return url ? destinationRefusal(url) : "MALFORMED";
};

describe("webhook endpoint hosts (issue 29, finding 1)", () => {
  it("refuses internal names however they are spelled: trailing dots, case, single labels", () => {
    for (const host of [
      "localhost.",
      "LOCALHOST",
      "api.localhost",
      "metadata.google.internal.",
      "intranet.",
      "intranet",
      "printer.local.",
      "db.internal",
      "hooks.test",
      "router.home.arpa",
      "1.0.0.127.in-addr.arpa",
      "files.corp",
    ]) {
      expect(refusalOf(`https://${host}/x`), host).toBe("INTERNAL_NAME");
    }
  });

  it("refuses public wildcard DNS services that answer with loopback or any address asked for", () => {
    for (const host of ["127.0.0.1.nip.io", "10.0.0.1.sslip.io", "localtest.me", "app.lvh.me", "LVH.ME."]) {
      expect(refusalOf(`https://${host}/x`), host).toBe("WILDCARD_DNS");
    }
  });

  it("refuses special-use IPv4 literals, in every form the URL parser accepts", () => {
    for (const host of [
      "127.0.0.1",
      "127.0.0.1.",
      "0x7f.1",
      "2130706433",
      "0.0.0.0",
      "10.1.2.3",
      "100.64.0.1",
      "169.254.169.254",
      "172.16.0.1",
      "192.168.1.1",
      "192.0.0.8",
      "192.0.2.10",
      "198.18.0.1",
      "198.19.255.254",
      "198.51.100.7",
      "203.0.113.9",
      "224.0.0.1",
      "240.0.0.1",
      "255.255.255.255",
    ]) {
      expect(refusalOf(`https://${host}/x`), host).toBe("SPECIAL_USE_ADDRESS");
    }
  });

  it("refuses IPv6 loopback, unique-local, link-local, and IPv6 forms that carry a forbidden IPv4", () => {
    for (const host of [
      "[::1]",
      "[::]",
      "[fd00::1]",
      "[fc00::1]",
      "[fe80::1]",
      "[ff02::1]",
      "[2001:db8::1]",
      "[::127.0.0.1]",
      "[::169.254.169.254]",
      "[::ffff:127.0.0.1]",
      "[::ffff:8.8.8.8]",
      "[64:ff9b::a9fe:a9fe]",
      "[64:ff9b::10.0.0.1]",
      "[64:ff9b:1::1]",
      "[2002:7f00:1::1]",
    ]) {
      expect(refusalOf(`https://${host}/x`), host).toBe("SPECIAL_USE_ADDRESS");
    }
  });

  it("accepts public hosts and addresses", () => {
    for (const host of [
      "partner.example.id",
      "hooks.bank.co.id",
      "8.8.8.8",
      "172.32.0.1",
      "198.20.0.1",
      "[2606:4700:4700::1111]",
      "[64:ff9b::808:808]",
      "xn--bcher-kva.de",
    ]) {
      expect(refusalOf(`https://${host}/x`), host).toBeNull();
    }
  });

  it("tells an address from a name, brackets or not", () => {
    expect(isSpecialUseAddress("127.0.0.53")).toBe(true);
    expect(isSpecialUseAddress("::1")).toBe(true);
    expect(isSpecialUseAddress("[fd12::5]")).toBe(true);
    expect(isSpecialUseAddress("93.184.215.14")).toBe(false);
    expect(isSpecialUseAddress("2606:4700::6810:84e5")).toBe(false);
    expect(isSpecialUseAddress("partner.example.id")).toBe(false);
  });

  it("normalises what is stored: lower case, IDNA, no trailing dots; refuses CR/LF, whitespace and credentials", () => {
    expect(normaliseEndpointUrl("https://Partner.Example.ID./Hooks")?.href).toBe("https://partner.example.id/Hooks");
    expect(normaliseEndpointUrl("https://bücher.de/x")?.href).toBe("https://xn--bcher-kva.de/x");
    for (const text of [
      "https://partner.example.id/x\r\n",
      "https://partner.example.id/x\nHost: evil",
      " https://partner.example.id/x",
      "https://partner.example.id/a b",
      "https://partner.example.id/\tx",
      "https://user:secret@partner.example.id/x",
      "https://user@partner.example.id/x",
      "ftp://partner.example.id/x",
      "https://a..b/x",
      "https://.partner.example.id/x",
      "not a url",
    ]) {
      expect(normaliseEndpointUrl(text), JSON.stringify(text)).toBeNull();
    }
  });

  it("stores the normalised URL and refuses the issue's production examples; development keeps 127.0.0.1", () => {
    const production = endpointUrl(true);
    for (const text of [
      "https://localhost./x",
      "https://metadata.google.internal./computeMetadata/v1/",
      "https://intranet./x",
      "https://printer.local./x",
      "https://[::127.0.0.1]/x",
      "https://[::169.254.169.254]/x",
      "https://[64:ff9b::a9fe:a9fe]/x",
      "https://127.0.0.1.nip.io/x",
      "https://localtest.me/x",
      "https://198.18.0.1/x",
      "https://partner.example.id/x\r\n",
      "http://partner.example.id/x",
    ]) {
      expect(production.safeParse(text).success, text).toBe(false);
    }
    expect(production.parse("https://Partner.Example.ID./hook")).toBe("https://partner.example.id/hook");
    const development = endpointUrl(false);
    expect(development.parse("http://127.0.0.1:9000/hook")).toBe("http://127.0.0.1:9000/hook");
    expect(development.safeParse("http://127.0.0.1:9000/hook\r\n").success).toBe(false);
    expect(development.safeParse("http://user:pw@127.0.0.1:9000/hook").success).toBe(false);
  });
});
