import type { Logger } from "@statefun-ts/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { type RemoteBinding, remoteBinding } from "./binding.js";
import { type FakeEndpoint, fakeEndpoint, result } from "./fixtures/fake-endpoint.js";
import { invokeRequest, openStateSpecs, str } from "./fixtures/invoke.js";

let endpoint: FakeEndpoint | undefined;
let binding: RemoteBinding | undefined;
afterEach(async () => {
  await binding?.close();
  await endpoint?.close();
  binding = endpoint = undefined;
});

/** A logger that keeps what it was told, by level. */
function recordingLogger() {
  const lines: { level: keyof Logger; obj: Record<string, unknown>; msg: string | undefined }[] = [];
  const at =
    (level: keyof Logger) =>
    (obj: object, msg?: string): void =>
      void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  return { logger, lines };
}

describe("remoteBinding logs", () => {
  // StateFun logs a WARN for a failed attempt ("Exception caught while trying to deliver a
  // message"), so a function server that is down, or a function that throws (the SDKs answer 500),
  // shows in the runtime's log at once, not only when the call's budget is spent.
  it("warns of a call's first failed attempt with the function, address, url and failure; its later attempts at debug", async () => {
    const { stateSpecs } = await openStateSpecs();
    let calls = 0;
    endpoint = await fakeEndpoint(() => (++calls % 4 !== 0 ? { status: 500, body: "boom" } : result()));
    const { logger, lines } = recordingLogger();
    binding = remoteBinding({ functions: "js/*", urlPathTemplate: endpoint.url }, { specs: stateSpecs, logger });

    await binding.invoker.invoke(invokeRequest("js/greeter", "bob", [{ argument: str("one") }]));
    const failures = lines.filter((l) => l.msg === "remote call failed, retrying");
    expect(failures.map((l) => [l.level, l.obj.attempt])).toEqual([
      ["warn", 1],
      ["debug", 2],
      ["debug", 3],
    ]);
    expect(failures[0]!.obj).toMatchObject({
      function: "js/greeter",
      address: { namespace: "js", type: "greeter", id: "bob" },
      url: endpoint.url,
      failure: expect.stringContaining("HTTP 500"),
    });

    // The next call that fails warns again.
    lines.length = 0;
    await binding.invoker.invoke(invokeRequest("js/greeter", "ann", [{ argument: str("two") }]));
    expect(lines.filter((l) => l.msg === "remote call failed, retrying").map((l) => l.level)).toEqual(["warn", "debug", "debug"]);
  });
});
