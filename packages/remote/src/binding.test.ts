import { address, IntCodec, reqreply } from "@statefun-ts/protocol";
import { RemoteStateSpecs } from "@statefun-ts/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_HANDSHAKE_ROUNDS, type RemoteBinding, remoteBinding } from "./binding.js";
import { type FakeEndpoint, fakeEndpoint, incomplete, result } from "./fixtures/fake-endpoint.js";
import { invokeRequest, openStateSpecs, rejection, str, text } from "./fixtures/invoke.js";

const ExpireMode = reqreply.FromFunction_ExpirationSpec_ExpireMode;
const INT = "io.statefun.types/int";
const STRING = "io.statefun.types/string";

let endpoint: FakeEndpoint | undefined;
let binding: RemoteBinding | undefined;
afterEach(async () => {
  await binding?.close();
  await endpoint?.close();
  binding = endpoint = undefined;
});

describe("remoteBinding requests", () => {
  it("sends the target, every registered state (values where there are), and the batch's messages in order with callers", async () => {
    const { stateSpecs } = await openStateSpecs();
    await stateSpecs.register("py/greeter", [
      { name: "seen", typename: INT, expiration: { mode: "none" } },
      { name: "name", typename: STRING, expiration: { mode: "after-write", millis: 1000 } },
    ]);
    endpoint = await fakeEndpoint(() => result(), { path: "/fn/{function.name}" });
    binding = remoteBinding({ functions: "py/*", urlPathTemplate: endpoint.url }, { specs: stateSpecs });
    const caller = address("py/other", "x");
    const effects = await binding.invoker.invoke(
      invokeRequest("py/greeter", "bob", [{ argument: str("one") }, { argument: str("two"), caller }], { name: str("Bob") }),
    );
    expect(effects).toEqual({ messages: [], delayed: [], egress: [], state: new Map() });
    expect(endpoint.paths).toEqual(["/fn/greeter"]);
    const batch = endpoint.batches[0]!;
    expect(batch.target).toMatchObject({ namespace: "py", type: "greeter", id: "bob" });
    expect(batch.state.map((s) => [s.stateName, s.stateValue?.typename, text(s.stateValue)])).toEqual([
      ["seen", undefined, undefined],
      ["name", STRING, "Bob"],
    ]);
    expect(batch.state[1]!.stateValue!.hasValue).toBe(true);
    expect(batch.invocations.map((i) => [text(i.argument), i.caller?.id])).toEqual([
      ["one", undefined],
      ["two", "x"],
    ]);
    expect(batch.invocations[1]!.caller).toMatchObject({ namespace: "py", type: "other" });
    expect(binding.typename).toBe("py/*");
    expect(binding.accepts).toBeUndefined();
    expect(binding.retry).toEqual({ maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 });
    expect(binding.invoker.maxBatch).toBe(1000);
    expect(binding.specs("py/greeter").map((s) => s.name)).toEqual(["seen", "name"]);
  });

  it("registers the states an incomplete context asks for, durably, and re-sends the same invocations with them", async () => {
    const { store, stateSpecs } = await openStateSpecs();
    endpoint = await fakeEndpoint((batch) =>
      batch.state.length === 0
        ? incomplete(["seen", INT, ExpireMode.AFTER_INVOKE, 60_000], ["name", STRING, ExpireMode.AFTER_WRITE, 5000], ["tag", STRING])
        : result({
            stateMutations: [
              { mutationType: 1, stateName: "seen", stateValue: { typename: INT, hasValue: true, value: IntCodec.encode(1) } },
            ],
          }),
    );
    binding = remoteBinding({ functions: "py/greeter", urlPathTemplate: endpoint.url }, { specs: stateSpecs });
    const effects = await binding.invoker.invoke(invokeRequest("py/greeter", "bob", [{ argument: str("a") }, { argument: str("b") }]));
    expect([...effects.state.keys()]).toEqual(["seen"]);
    expect(endpoint.batches).toHaveLength(2);
    const [first, second] = endpoint.batches;
    expect(second!.invocations.map((i) => text(i.argument))).toEqual(first!.invocations.map((i) => text(i.argument)));
    expect(second!.state.map((s) => [s.stateName, s.stateValue])).toEqual([
      ["seen", undefined],
      ["name", undefined],
      ["tag", undefined],
    ]);
    const reloaded = new RemoteStateSpecs(store);
    await reloaded.load();
    expect(reloaded.get("py/greeter")).toEqual([
      { name: "seen", typename: INT, expiration: { mode: "after-call", millis: 60_000 } },
      { name: "name", typename: STRING, expiration: { mode: "after-write", millis: 5000 } },
      { name: "tag", typename: STRING, expiration: { mode: "none" } },
    ]);
  });

  it("fails the batch terminally when a function re-registers a state with another type", async () => {
    const { stateSpecs } = await openStateSpecs();
    await stateSpecs.register("py/greeter", [{ name: "seen", typename: INT, expiration: { mode: "none" } }]);
    endpoint = await fakeEndpoint(() => incomplete(["seen", STRING]));
    binding = remoteBinding({ functions: "py/greeter", urlPathTemplate: endpoint.url }, { specs: stateSpecs });
    const error = await rejection(binding.invoker.invoke(invokeRequest("py/greeter", "bob", [{ argument: str("a") }])));
    expect(error.code).toBe("STATEFUN_STATE_TYPE");
    expect(error.terminal).toBe(true);
    expect(error.message).toContain(`function py/greeter registers state seen as ${STRING}, but it is registered as ${INT}`);
    expect(endpoint.batches).toHaveLength(1);
  });

  it("gives up on an endpoint that keeps asking, naming the function and the states", async () => {
    const { stateSpecs } = await openStateSpecs();
    endpoint = await fakeEndpoint(() => incomplete(["seen", INT]));
    binding = remoteBinding({ functions: "py/greeter", urlPathTemplate: endpoint.url }, { specs: stateSpecs });
    const error = await rejection(binding.invoker.invoke(invokeRequest("py/greeter", "bob", [{ argument: str("a") }])));
    expect(error.terminal).toBe(true);
    expect(error.message).toContain("py/greeter at http://127.0.0.1");
    expect(error.message).toContain(`still asks for states seen: ${INT}`);
    expect(endpoint.batches).toHaveLength(MAX_HANDSHAKE_ROUNDS);
  });

  it("rejects invalid settings when bound", async () => {
    const { stateSpecs } = await openStateSpecs();
    const bind = (spec: Parameters<typeof remoteBinding>[0]) => () => remoteBinding(spec, { specs: stateSpecs });
    expect(bind({ functions: "nope", urlPathTemplate: "http://h/" })).toThrow("invalid type name");
    expect(bind({ functions: "a/b", urlPathTemplate: "ftp://h/" })).toThrow("unsupported scheme ftp");
    expect(bind({ functions: "a/b", urlPathTemplate: "http://h/", poolSize: 0 })).toThrow("poolSize must be a positive integer");
    expect(bind({ functions: "a/b", urlPathTemplate: "http://h/", tls: { ca: "x" } })).toThrow("tls settings need an https URL");
    expect(bind({ functions: "a/b", urlPathTemplate: "https://h/", tls: { cert: "x" } })).toThrow("tls.cert and tls.key go together");
  });
});
