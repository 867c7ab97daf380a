import { describe, expect, it } from "vitest";
import { drift, functionDefinitions, normalised } from "./db-functions";

describe("database functions: one source each, in step with the migrations", () => {
  it("has a source for every function the migrations define, and no source the migrations lack", () => {
    expect(drift()).toEqual({ changed: [], withoutSource: [] });
  });

  it("reads each definition whole, whatever its body's dollar tag", () => {
    const text = `CREATE FUNCTION a(x int) RETURNS int LANGUAGE sql AS $$ SELECT x; $$;
--> statement-breakpoint
create or replace function b() returns trigger language plpgsql as $body$ BEGIN RETURN NULL; END $body$;
CREATE TRIGGER t AFTER INSERT ON x FOR EACH STATEMENT EXECUTE FUNCTION b();`;
    expect(functionDefinitions(text).map((definition) => definition.name)).toEqual(["a", "b"]);
    expect(functionDefinitions(text)[1]?.statement.endsWith("END $body$;")).toBe(true);
  });

  it("compares definitions as a database keeps them: CREATE is CREATE OR REPLACE, comments and spacing aside", () => {
    expect(normalised("-- why\nCREATE FUNCTION a()\n  RETURNS int AS $$ SELECT 1 $$;")).toBe(
      normalised("CREATE OR REPLACE FUNCTION a() RETURNS int AS $$ SELECT 1 $$;"),
    );
    expect(normalised("CREATE FUNCTION a() RETURNS int AS $$ SELECT 1 $$;")).not.toBe(
      normalised("CREATE FUNCTION a() RETURNS int AS $$ SELECT 2 $$;"),
    );
  });
});
