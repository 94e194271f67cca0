import { create, encodeFromFunction, reqreply, StringCodec, type TypedValue } from "@statefun-ts/protocol";
import type { StateSpecInfo } from "@statefun-ts/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { type RemoteBinding, remoteBinding } from "./binding.js";
import { type FakeEndpoint, fakeEndpoint, result } from "./fixtures/fake-endpoint.js";
import { invokeRequest, openStateSpecs, rejection, str } from "./fixtures/invoke.js";
import { decodeResponse } from "./response.js";

const STRING = "io.statefun.types/string";
const specs: StateSpecInfo[] = [
  { name: "seen", typename: "io.statefun.types/int", expiration: { mode: "none" } },
  { name: "name", typename: STRING, expiration: { mode: "none" } },
];
const wire = (v: TypedValue) => ({ typename: v.typename, hasValue: true, value: v.value });
const json = (typename: string, value: unknown) => ({ typename, hasValue: true, value: new TextEncoder().encode(JSON.stringify(value)) });
const to = (type: string, id: string) => ({ namespace: "py", type, id });
const decode = (from: reqreply.FromFunction, type = "application/octet-stream") =>
  decodeResponse(encodeFromFunction(from), type, "py/greeter", specs, "py/greeter at X");

let endpoint: FakeEndpoint | undefined;
let binding: RemoteBinding | undefined;
afterEach(async () => {
  await binding?.close();
  await endpoint?.close();
  binding = endpoint = undefined;
});

describe("remote responses", () => {
  it("map an invocation result to effects: messages, delayed sends and cancels in order, egress records, state", async () => {
    const { stateSpecs } = await openStateSpecs();
    await stateSpecs.register("py/greeter", specs);
    endpoint = await fakeEndpoint(() =>
      result({
        outgoingMessages: [
          { target: to("a", "1"), argument: wire(str("m1")) },
          { target: to("b", "2"), argument: wire(str("m2")) },
        ],
        delayedInvocations: [
          { delayInMs: 500n, target: to("a", "1"), argument: wire(str("later")), cancellationToken: "t1" },
          { isCancellationRequest: true, cancellationToken: "t0" },
          { delayInMs: 20n, target: to("b", "2"), argument: wire(str("soon")) },
        ],
        outgoingEgresses: [
          {
            egressNamespace: "io.statefun.playground",
            egressType: "egress",
            argument: json("io.statefun.playground/EgressRecord", { topic: "greetings", payload: "hi" }),
          },
          {
            egressNamespace: "io.statefun.playground",
            egressType: "egress",
            argument: json("io.statefun.playground/EgressRecord", { topic: "objs", payload: { n: 1 } }),
          },
          { egressNamespace: "io.statefun.kafka", egressType: "out", argument: wire(str("raw")) },
        ],
        stateMutations: [
          { mutationType: 1, stateName: "name", stateValue: wire(str("Bob")) },
          { mutationType: 0, stateName: "seen" },
        ],
      }),
    );
    binding = remoteBinding({ functions: "py/*", urlPathTemplate: endpoint.url }, { specs: stateSpecs });
    const effects = await binding.invoker.invoke(invokeRequest("py/greeter", "bob", [{ argument: str("go") }]));
    expect(effects.messages).toEqual([
      { target: { namespace: "py", type: "a", id: "1" }, argument: str("m1") },
      { target: { namespace: "py", type: "b", id: "2" }, argument: str("m2") },
    ]);
    // Tokens scoped by the sender's id, as StateFun scopes them; a cancellation also cancels the
    // unscoped token (delayed messages stored before tokens were scoped).
    expect(effects.delayed).toEqual([
      {
        kind: "send",
        delayMs: 500,
        target: { namespace: "py", type: "a", id: "1" },
        argument: str("later"),
        cancellationToken: "remote/3/bob/t1",
      },
      { kind: "cancel", cancellationToken: "remote/3/bob/t0" },
      { kind: "cancel", cancellationToken: "t0" },
      { kind: "send", delayMs: 20, target: { namespace: "py", type: "b", id: "2" }, argument: str("soon"), cancellationToken: undefined },
    ]);
    expect(effects.egress).toEqual([
      { egress: "io.statefun.playground/egress", topic: "greetings", argument: { typename: STRING, value: StringCodec.encode("hi") } },
      { egress: "io.statefun.playground/egress", topic: "objs", argument: { typename: STRING, value: StringCodec.encode('{"n":1}') } },
      { egress: "io.statefun.kafka/out", topic: "", argument: str("raw") },
    ]);
    expect(effects.state).toEqual(
      new Map<string, TypedValue | null>([
        ["name", str("Bob")],
        ["seen", null],
      ]),
    );
  });

  it("of no field set are a retryable protocol error, not an empty result", async () => {
    const error = await rejection((async () => decode(create(reqreply.FromFunctionSchema, {})))());
    expect(error.terminal).toBe(false);
    expect(error.message).toBe(
      "py/greeter at X: protocol error: the response (0 bytes) carries neither an invocation result nor a state registration request",
    );
    expect(decode(result())).toEqual({ kind: "effects", effects: { messages: [], delayed: [], egress: [], state: new Map() } });
  });

  it("refuse a state value of another type than registered, naming function, state and both types", async () => {
    const error = await rejection(
      (async () => decode(result({ stateMutations: [{ mutationType: 1, stateName: "seen", stateValue: wire(str("x")) }] })))(),
    );
    expect(error.terminal).toBe(true);
    expect(error.message).toBe(
      `py/greeter at X: function py/greeter writes state seen as ${STRING}, but it is registered as io.statefun.types/int`,
    );
  });

  it("refuse a mutation of a state never registered, and malformed records", () => {
    expect(() => decode(result({ stateMutations: [{ mutationType: 0, stateName: "ghost" }] }))).toThrow(
      'function py/greeter mutates state "ghost", which it never registered (registered: seen, name)',
    );
    expect(() => decode(result({ outgoingMessages: [{ argument: wire(str("m")) }] }))).toThrow("a message to an invalid address null");
    expect(() => decode(result({ delayedInvocations: [{ isCancellationRequest: true }] }))).toThrow("without a cancellation token");
    const record = (argument: ReturnType<typeof json>) =>
      decode(result({ outgoingEgresses: [{ egressNamespace: "io.statefun.playground", egressType: "egress", argument }] }));
    expect(() => record(json("io.statefun.playground/EgressRecord", { payload: "x" }))).toThrow('needs {"topic": string, "payload": ...}');
    expect(() => record(json("example/Other", { topic: "t", payload: "x" }))).toThrow("must be a io.statefun.playground/EgressRecord");
    expect(() => decodeResponse(new Uint8Array([0xff, 0xff]), undefined, "py/greeter", specs, "py/greeter at X")).toThrow(
      "py/greeter at X: the response is not a FromFunction message (2 bytes, Content-Type none)",
    );
  });

  it("refuse a delay or a state expiry past 10000 years (2^63 ms is no date and overflows a bigint column)", () => {
    const max = (1n << 63n) - 1n;
    expect(() => decode(result({ delayedInvocations: [{ delayInMs: max, target: to("a", "1"), argument: wire(str("m")) }] }))).toThrow(
      `py/greeter at X: a delayed message with a delay of ${Number(max)} ms, longer than the longest, 10000 years`,
    );
    const missing = create(reqreply.FromFunctionSchema, {
      response: {
        case: "incompleteInvocationContext",
        value: { missingValues: [{ stateName: "s", typeTypename: STRING, expirationSpec: { mode: 1, expireAfterMillis: max } }] },
      },
    });
    expect(() => decode(missing)).toThrow(`py/greeter at X: state s expires after ${Number(max)} ms, longer than the longest, 10000 years`);
  });

  it("refuse a response of more than 100000 effects, which took more memory decoded than a worker has", () => {
    const message = { target: to("a", "1"), argument: wire(str("")) };
    const many = result({ outgoingMessages: Array.from({ length: 100_001 }, () => message) });
    expect(() => decode(many)).toThrow(
      "py/greeter at X: the response carries more than 100000 effects (state changes, messages, delayed messages, egress records): send fewer per batch",
    );
    expect(decode(result({ outgoingMessages: Array.from({ length: 100_000 }, () => message) })).kind).toBe("effects");
    const specs = Array.from({ length: 100_001 }, (_, i) => ({ stateName: `s${i}`, typeTypename: STRING }));
    const missing = create(reqreply.FromFunctionSchema, {
      response: { case: "incompleteInvocationContext", value: { missingValues: specs } },
    });
    expect(() => decode(missing)).toThrow("py/greeter at X: the response carries more than 100000 states to register");
  });

  it("tolerate a textual content type on a real response, not on a body that decodes to nothing", () => {
    expect(
      decode(result({ outgoingMessages: [{ target: to("a", "1"), argument: wire(str("m")) }] }), "text/html; charset=utf-8").kind,
    ).toBe("effects");
    const ok = new TextEncoder().encode("I am fine");
    expect(() => decodeResponse(ok, "text/plain", "py/greeter", specs, "py/greeter at X")).toThrow(
      "py/greeter at X: the response is not a FromFunction message (9 bytes, Content-Type text/plain): I am fine",
    );
  });
});
