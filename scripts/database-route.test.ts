import { describe, expect, it } from "vitest";
import { nodeRouteFor } from "./database-route";

describe("how a script reaches a database", () => {
  it("reaches Neon through the driver's own secure WebSocket, never the local proxy", () => {
    expect(nodeRouteFor("postgres://u:p@ep-cool-1234-pooler.ap-southeast-1.aws.neon.tech/app?sslmode=require")).toEqual(
      {
        driver: "neon-websocket",
      },
    );
    expect(nodeRouteFor("postgresql://u:p@ep-x.eastus2.azure.neon.tech/app")).toEqual({ driver: "neon-websocket" });
  });

  it("reaches any other PostgreSQL directly over TCP, with TLS when the URL asks for it", () => {
    expect(nodeRouteFor("postgres://postgres@127.0.0.1:5432/test")).toEqual({ driver: "tcp", tls: false });
    expect(nodeRouteFor("postgres://postgres@127.0.0.1:5433/postgres")).toEqual({ driver: "tcp", tls: false });
    expect(nodeRouteFor("postgres://u:p@db.example.co.id:5432/app?sslmode=require")).toEqual({
      driver: "tcp",
      tls: true,
    });
    expect(nodeRouteFor("postgres://u:p@db.example.co.id/app?sslmode=disable")).toEqual({ driver: "tcp", tls: false });
  });

  it("does not mistake a host that merely contains neon.tech for Neon", () => {
    expect(nodeRouteFor("postgres://u:p@neon.tech.example.com/app")).toEqual({ driver: "tcp", tls: false });
  });

  it("refuses what is not a PostgreSQL URL", () => {
    expect(() => nodeRouteFor("mysql://u@host/db")).toThrow(/protocol mysql/);
    expect(() => nodeRouteFor("not a url")).toThrow(/not a PostgreSQL URL/);
  });
});
