import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGraphiqlAssets } from "../scripts/graphiql-assets";
import { startTestApi, type TestApi } from "./testkit/api";

/**
 * GraphiQL under `npm run dev` comes from the API's own port: the page and its bundle, which the
 * Worker relays from the dev process, so a tunnel or container forwarding only that port shows it.
 */
let api: TestApi;
let assets: Awaited<ReturnType<typeof startGraphiqlAssets>>;

beforeAll(async () => {
  api = await startTestApi();
  assets = await startGraphiqlAssets();
});
afterAll(async () => {
  await assets?.close();
  await api?.close();
});

const development = () => ({ ...api.env, ENVIRONMENT: "development", GRAPHIQL_ASSETS_URL: assets.url });

describe("GraphiQL in development", () => {
  it("is a page whose bundle is loaded from the same origin", async () => {
    const page = await api.app.request("/graphql", { headers: { accept: "text/html" } }, development());
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<script src="/graphiql.js"></script>');
    expect(html).not.toContain(assets.url);
  });

  it("serves the bundle on the API's port, revalidated by its ETag", async () => {
    const bundle = await api.app.request("/graphiql.js", {}, development());
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toMatch(/javascript/);
    expect((await bundle.text()).length).toBeGreaterThan(1_000_000);
    const etag = bundle.headers.get("etag") ?? "";
    expect(etag).not.toBe("");
    const again = await api.app.request("/graphiql.js", { headers: { "if-none-match": etag } }, development());
    expect(again.status).toBe(304);
  });

  it("does not exist outside development", async () => {
    for (const ENVIRONMENT of ["production", "test"]) {
      const response = await api.app.request("/graphiql.js", {}, { ...development(), ENVIRONMENT });
      expect(response.status).toBe(404);
    }
  });
});
