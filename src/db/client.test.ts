import { Duplex } from "node:stream";
import { describe, expect, it } from "vitest";
import { corkable } from "./client";

/** A socket that records each write it is asked for, as pg-cloudflare's sends each one. */
function recordingSocket() {
  const writes: Buffer[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk);
      done();
    },
  });
  // pg-cloudflare's socket has no cork/uncork of its own: take Node's away.
  return { socket: Object.assign(socket, { cork: undefined, uncork: undefined }) as unknown as Duplex, writes };
}

describe("corkable (node-postgres over pg-cloudflare's socket)", () => {
  it("writes the messages of one query once, in order, on uncork", () => {
    const { socket, writes } = recordingSocket();
    const corked = corkable(socket);
    corked.cork();
    corked.write(Buffer.from("P"));
    corked.write(Buffer.from("B"));
    corked.write("E");
    corked.write(Buffer.from("S"));
    expect(writes).toEqual([]);
    corked.uncork();
    expect(writes.map(String)).toEqual(["PBES"]);
  });

  it("writes at once while not corked, and nothing on an empty uncork", () => {
    const { socket, writes } = recordingSocket();
    const corked = corkable(socket);
    corked.write(Buffer.from("startup"));
    corked.cork();
    corked.uncork();
    corked.write(Buffer.from("Q"));
    expect(writes.map(String)).toEqual(["startup", "Q"]);
  });
});
