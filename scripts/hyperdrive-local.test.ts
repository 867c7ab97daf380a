import { describe, expect, it } from "vitest";
import { hyperdriveOrigin } from "./hyperdrive-local";

describe("hyperdriveOrigin", () => {
  it("adds the password Hyperdrive's local binding insists on, keeping host, port and database", () => {
    expect(hyperdriveOrigin("postgres://postgres@127.0.0.1:5433/postgres")).toBe(
      "postgres://postgres:local@127.0.0.1:5433/postgres",
    );
  });

  it("keeps a URL's own user, password and parameters", () => {
    expect(hyperdriveOrigin("postgres://app:s3cret@db.example:6543/main?sslmode=require")).toBe(
      "postgres://app:s3cret@db.example:6543/main?sslmode=require",
    );
  });

  it("names a user when the URL has none", () => {
    expect(hyperdriveOrigin("postgres://127.0.0.1:5432/test")).toBe("postgres://postgres:local@127.0.0.1:5432/test");
  });
});
