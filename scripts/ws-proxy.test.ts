import { describe, expect, it } from "vitest";
import { statementCounter } from "./ws-proxy";

function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

describe("the proxy's statement counter (benchmarks of the Worker)", () => {
  it("counts Query and Execute messages, whatever the frames cut them into", () => {
    const startup = Buffer.alloc(12);
    startup.writeInt32BE(12, 0);
    startup.writeInt32BE(196_608, 4); // protocol 3.0, then an empty parameter list
    const parse = message("P", Buffer.from("\0select 1\0\0\0", "latin1"));
    // An 'E' or 'Q' byte inside a body must not count: only message types do.
    const bind = message("B", Buffer.from("\0\0EQ\0\0\0\0\0\0", "latin1"));
    const stream = Buffer.concat([
      startup,
      parse,
      bind,
      message("E", Buffer.from("\0\0\0\0\0", "latin1")),
      message("S"),
      message("Q", Buffer.from("select 2\0", "latin1")),
      message("X"),
    ]);
    for (const size of [1, 3, 7, stream.length]) {
      let statements = 0;
      const count = statementCounter(() => {
        statements += 1;
      });
      for (let at = 0; at < stream.length; at += size) count(stream.subarray(at, at + size));
      expect(statements).toBe(2);
    }
  });
});
