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

describe("remoteBinding metrics", () => {
  it("counts each failed attempt it retries as an invocation failure (the runtime counts the last one)", async () => {
    const { stateSpecs } = await openStateSpecs();
    let calls = 0;
    endpoint = await fakeEndpoint(() => (++calls <= 3 ? { status: 503, body: "busy" } : result()));
    const counted: string[] = [];
    binding = remoteBinding(
      { functions: "py/*", urlPathTemplate: endpoint.url },
      { specs: stateSpecs, metrics: { count: (name) => void (name === "invocation_failures" && counted.push(name)), observe() {} } },
    );
    await binding.invoker.invoke(invokeRequest("py/greeter", "bob", [{ argument: str("one") }]));
    expect(calls).toBe(4);
    expect(counted).toEqual(["invocation_failures", "invocation_failures", "invocation_failures"]);
  });

  it("takes a 404 (the endpoint does not serve the type) as final at once: one call, no retry", async () => {
    const { stateSpecs } = await openStateSpecs();
    let calls = 0;
    endpoint = await fakeEndpoint(() => {
      calls++;
      return { status: 404, body: "no function py/greeter is served here" };
    });
    binding = remoteBinding({ functions: "py/*", urlPathTemplate: endpoint.url }, { specs: stateSpecs });
    const invoking = binding.invoker.invoke(invokeRequest("py/greeter", "bob", [{ argument: str("one") }]));
    const failed = await Promise.resolve(invoking).catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: "STATEFUN_FUNCTION_FAILED", terminal: true, message: expect.stringContaining("HTTP 404") });
    expect(calls).toBe(1);
  });
});
