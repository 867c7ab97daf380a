import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { limitedBody } from "./body-limit";

function app() {
  const hono = new Hono();
  hono.post("/", limitedBody({ maxSize: 10, onError: (c) => c.text("too large", 413) }), async (c) =>
    c.text(`read ${(await c.req.text()).length}`),
  );
  return hono;
}

/** A body of unstated length: sent in chunks, so no Content-Length. */
function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 4) controller.enqueue(bytes.slice(i, i + 4));
      controller.close();
    },
  });
}

describe("limitedBody", () => {
  it("refuses a stated length over the limit before anything reads the body", async () => {
    const response = await app().request("/", { method: "POST", body: "x".repeat(11) });
    expect(response.status).toBe(413);
  });

  it("lets a stated length at the limit through, body intact", async () => {
    const response = await app().request("/", { method: "POST", body: "x".repeat(10) });
    expect(await response.text()).toBe("read 10");
  });

  it("counts a body of unstated length as it arrives", async () => {
    const over = await app().request("/", {
      method: "POST",
      body: chunked("x".repeat(11)),
      duplex: "half",
    } as RequestInit);
    expect(over.status).toBe(413);
    const under = await app().request("/", {
      method: "POST",
      body: chunked("x".repeat(9)),
      duplex: "half",
    } as RequestInit);
    expect(await under.text()).toBe("read 9");
  });
});
