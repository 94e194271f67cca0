import { describe, expect, it } from "vitest";
import { type AdminArgs, buildProgram, type CliActions } from "./program.js";

async function parse(argv: string[]): Promise<{ admin: AdminArgs[]; error: string }> {
  const admin: AdminArgs[] = [];
  const none = async () => {};
  const actions: CliActions = {
    run: none,
    send: none,
    call: none,
    state: none,
    admin: async (a) => {
      admin.push(a);
    },
  };
  let error = "";
  const program = buildProgram(actions);
  const quiet = (c: typeof program): void => {
    c.configureOutput({
      writeErr: (s) => {
        error += s;
      },
      writeOut: () => {},
    });
    for (const sub of c.commands) quiet(sub);
  };
  quiet(program);
  await program.parseAsync(["node", "statefun", ...argv]).catch(() => {});
  return { admin, error };
}

describe("console commands", () => {
  it("state-set and state-delete call PUT/DELETE /v1/state/{ns}/{type}/{id}/{name}", async () => {
    const set = await parse(["state-set", "example/person/B ob", "visits", "41", "--type", "io.statefun.types/int"]);
    expect(set.admin).toEqual([
      {
        admin: "http://127.0.0.1:8081",
        method: "PUT",
        path: "/v1/state/example/person/B%20ob/visits",
        body: { text: '{"typename":"io.statefun.types/int","value":41}' },
        contentType: "application/json",
      },
    ]);
    const del = await parse(["state-delete", "example/person/Bob", "visits", "--admin", "http://127.0.0.1:9081"]);
    expect(del.admin).toEqual([{ admin: "http://127.0.0.1:9081", method: "DELETE", path: "/v1/state/example/person/Bob/visits" }]);
  });

  it("refuses a value that is not JSON, naming the argument", async () => {
    const bad = await parse(["state-set", "example/person/Bob", "visits", "forty", "--type", "io.statefun.types/int"]);
    expect(bad.admin).toEqual([]);
    expect(bad.error).toContain("value");
    expect(bad.error).toContain("expected JSON");
  });

  it("parked, cluster and stats read the API", async () => {
    expect((await parse(["parked"])).admin[0]?.path).toBe("/v1/parked");
    expect((await parse(["instances", "example/person", "--after", "Bob", "--limit", "10"])).admin[0]?.path).toBe(
      "/v1/instances/example/person?limit=10&after=Bob",
    );
    expect((await parse(["cluster"])).admin[0]?.path).toBe("/v1/cluster");
    expect((await parse(["stats", "--window", "900"])).admin[0]?.path).toBe("/v1/stats?window=900");
  });
});
