import { IntCodec, LongCodec, type TypedValue } from "@statefun-ts/protocol";
import type { Runtime, StateEdit } from "@statefun-ts/runtime";
import { describe, expect, it } from "vitest";
import { stateEditRoutes } from "./admin-state.js";
import { baseApp } from "./app.js";

function app(applied = true) {
  const edits: { address: unknown; edit: StateEdit }[] = [];
  const runtime: Pick<Runtime, "editState"> = {
    async editState(address, edit) {
      edits.push({ address, edit });
      return applied;
    },
  };
  const a = baseApp({ logger: { debug() {}, info() {}, warn() {}, error() {} } });
  stateEditRoutes(a, runtime);
  return { app: a, edits };
}

const value = (edit: StateEdit | undefined): TypedValue | null | undefined => edit?.value;

describe("PUT/DELETE /v1/state/{ns}/{type}/{id}/{name}", () => {
  it("encodes the value as GET shows it: built-in types by codec, base64 as bytes, others as JSON", async () => {
    const { app: a, edits } = app();
    const put = (payload: unknown, name = "visits") =>
      a.inject({ method: "PUT", url: `/v1/state/example/person/B%2Fob/${name}`, payload: payload as object });
    const res = await put({ typename: "io.statefun.types/int", value: 41 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ address: { namespace: "example", type: "person", id: "B/ob" }, name: "visits", applied: true });
    expect(IntCodec.decode(value(edits[0]?.edit)!.value)).toBe(41);
    await put({ typename: "io.statefun.types/long", value: "9007199254740993" });
    expect(LongCodec.decode(value(edits[1]?.edit)!.value)).toBe(9007199254740993n);
    await put({ typename: "example/Profile", value: { name: "Bob" } });
    expect(new TextDecoder().decode(value(edits[2]?.edit)!.value)).toBe('{"name":"Bob"}');
    await put({ typename: "example/Blob", value: "/wA=", encoding: "base64" });
    expect([...value(edits[3]?.edit)!.value]).toEqual([0xff, 0x00]);

    const del = await a.inject({ method: "DELETE", url: "/v1/state/example/person/Bob/visits" });
    expect(del.json()).toMatchObject({ deleted: true, applied: true });
    expect(edits[4]?.edit).toEqual({ name: "visits", value: null });
  });

  it("refuses bad input with a JSON error naming what is wrong", async () => {
    const { app: a, edits } = app();
    const put = (payload: string | object, url = "/v1/state/example/person/Bob/visits") => a.inject({ method: "PUT", url, payload });
    const cases: [Awaited<ReturnType<typeof put>>, number, string][] = [
      [await put("not json"), 400, 'the body must be JSON {"typename", "value"}'],
      [await put({ typename: "io.statefun.types/int", value: "forty" }), 400, 'state visits: "forty" is not a io.statefun.types/int'],
      [await put({ typename: "nope", value: 1 }), 400, "state visits: "],
      [await put({ typename: "example/X" }), 400, 'state visits: "value" is missing'],
      [
        await put({ typename: "io.statefun.types/int", value: 1 }, "/v1/state/example/person/Bob"),
        404,
        "expected /v1/state/{namespace}/{type}/{id}/{name}",
      ],
    ];
    for (const [res, status, message] of cases) {
      expect(res.statusCode).toBe(status);
      expect(res.json().error).toContain(message);
      expect(typeof res.json().code).toBe("string");
    }
    expect(edits).toEqual([]);
  });

  it("answers 202 when the edit was not applied in time (its type not loaded)", async () => {
    const { app: a } = app(false);
    const res = await a.inject({ method: "PUT", url: "/v1/state/x/y/z/n", payload: { typename: "io.statefun.types/int", value: 1 } });
    expect(res.statusCode).toBe(202);
    expect(res.json().applied).toBe(false);
  });
});
