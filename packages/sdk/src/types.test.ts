import { StatefunError } from "@statefun-ts/protocol";
import { describe, expect, it } from "vitest";
import { jsonType } from "./types.js";

const utf8 = new TextEncoder();

describe("jsonType", () => {
  const Named = jsonType<{ name: string }>("test/Named", {
    schema: (v): v is { name: string } => typeof v === "object" && v !== null && typeof (v as { name?: unknown }).name === "string",
  });

  it("names the schema as the reason for JSON nested too deep to print back (issue 12: a 200 KB body of nested arrays)", () => {
    const nested = utf8.encode(`${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    let error: unknown;
    try {
      Named.deserialize(nested);
    } catch (e) {
      error = e;
    }
    expect(StatefunError.is(error) && error.code).toBe("STATEFUN_BAD_MESSAGE");
    expect((error as Error).message).toMatch(/^JSON does not match the schema of test\/Named: \[\[\[/);
    expect((error as Error).message.length).toBeLessThan(300);
  });

  it("quotes what was sent, cut at 200 characters", () => {
    expect(() => Named.deserialize(utf8.encode('{"nom": "x"}'))).toThrow('JSON does not match the schema of test/Named: {"nom": "x"}');
    expect(() => Named.deserialize(utf8.encode(JSON.stringify({ other: "y".repeat(500) })))).toThrow(/: \{"other":"y{190}…$/);
  });
});
