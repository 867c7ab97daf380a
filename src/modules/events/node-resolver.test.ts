import { describe, expect, it } from "vitest";
import { isSpecialUseAddress } from "./endpoint-url";
import { nodeHostResolver } from "./node-resolver";

describe("the Node resolver deliveries check addresses with", () => {
  it("answers every address of a name (localhost from the hosts file: no network needed)", async () => {
    const addresses = await nodeHostResolver("localhost");
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.every((address) => isSpecialUseAddress(address))).toBe(true);
  });

  it("answers an IPv6 literal in brackets as itself", async () => {
    expect(await nodeHostResolver("[::1]")).toEqual(["::1"]);
  });
});
