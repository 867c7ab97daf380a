import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { devVarsFile, overridesReport, readDevVars, withoutPassword } from "./dev-vars";

const managed = {
  ENVIRONMENT: "development",
  DATABASE_URL: "postgres://postgres@127.0.0.1:5433/postgres",
  DATABASE_WS_PROXY: "127.0.0.1:40000/v1",
  JWT_SECRET: "kepesertaan-local-development-secret-not-for-production",
};

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "dev-vars-")), ".dev.vars");
  writeFileSync(path, text);
  return path;
}

describe(".dev.vars", () => {
  it("as copied from .dev.vars.example, overrides nothing", () => {
    const example = readFileSync(new URL("../.dev.vars.example", import.meta.url), "utf8");
    const values = readDevVars(file(example));
    expect(values).toEqual({});
    expect(overridesReport(managed, values)).toEqual([]);
  });

  it("says which of npm run dev's values it overrides, what that changes, and what it adds", () => {
    const values = readDevVars(
      file(
        [
          "DATABASE_URL=postgres://app:s3cret@127.0.0.1:5432/kepesertaan",
          "JWT_SECRET='another-secret-of-at-least-32-characters'",
          `ENVIRONMENT="development"`,
          "CORS_ALLOWED_ORIGINS=http://localhost:5173",
        ].join("\n"),
      ),
    );
    expect(overridesReport(managed, values)).toEqual([
      ".dev.vars overrides ENVIRONMENT, DATABASE_URL, JWT_SECRET:",
      "  ENVIRONMENT: the same value npm run dev sets",
      "  DATABASE_URL: the Worker uses postgres://app:***@127.0.0.1:5432/kepesertaan (through its HYPERDRIVE binding), not the embedded database",
      "  JWT_SECRET: tokens are checked with this secret; npm run token signs with it too",
      ".dev.vars adds CORS_ALLOWED_ORIGINS",
    ]);
  });

  it("is read from KEPESERTAAN_DEV_VARS when named, and not at all when that is empty", () => {
    const path = file("JWT_SECRET=x\n");
    expect(devVarsFile({ KEPESERTAAN_DEV_VARS: path })).toBe(path);
    expect(devVarsFile({ KEPESERTAAN_DEV_VARS: "" })).toBeNull();
    expect(devVarsFile({ KEPESERTAAN_DEV_VARS: `${path}.missing` })).toBeNull();
  });

  it("never prints a password", () => {
    expect(withoutPassword("postgres://app:s3cret@db.example.id/x?sslmode=require")).toBe(
      "postgres://app:***@db.example.id/x?sslmode=require",
    );
    expect(withoutPassword("postgres://postgres@127.0.0.1:5433/postgres")).toBe(
      "postgres://postgres@127.0.0.1:5433/postgres",
    );
    expect(withoutPassword("not a url s3cret")).toBe("(not a URL)");
  });
});
