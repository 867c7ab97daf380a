/**
 * GraphiQL without a CDN: `npm run dev` serves the GraphiQL bundle of `@graphql-yoga/render-graphiql`
 * (an npm package, ~9 MB, too big for the Worker) from this process, on loopback only. The Worker,
 * in development, answers /graphql in a browser with a small page that loads /graphiql.js from the
 * API's own port, which the Worker fetches from here.
 */
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { css, editorWorkerService, graphqlWorker, js, jsonWorker } from "@graphql-yoga/render-graphiql/graphiql";

/** Mounts GraphiQL into #root with the options the Worker put in `window.KEPESERTAAN_GRAPHIQL`. */
function bundle(): string {
  return `(() => {
  const style = document.createElement("style");
  style.textContent = ${JSON.stringify(css)};
  document.head.appendChild(style);
  const blob = (text) => URL.createObjectURL(new Blob([text], { type: "application/javascript" }));
  const workers = {
    editorWorkerService: blob(${JSON.stringify(editorWorkerService)}),
    json: blob(${JSON.stringify(jsonWorker)}),
    graphql: blob(${JSON.stringify(graphqlWorker)}),
  };
  self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_moduleId, label) => workers[label] };
})();
${js};
YogaGraphiQL.renderYogaGraphiQL(document.querySelector("#root"), window.KEPESERTAAN_GRAPHIQL ?? {});
`;
}

export async function startGraphiqlAssets(port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const body = bundle();
  // Revalidated on each page load, answered 304 while the package is unchanged.
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  const server = createServer((request, response) => {
    if (request.url === "/graphiql.js") {
      const headers = { etag, "cache-control": "no-cache" };
      if (request.headers["if-none-match"] === etag) {
        response.writeHead(304, headers).end();
        return;
      }
      response.writeHead(200, { ...headers, "content-type": "application/javascript; charset=utf-8" });
      response.end(body);
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
