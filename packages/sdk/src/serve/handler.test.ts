import { create, decodeFromFunction, encodeToFunction, reqreply, StatefunError } from "@statefun-ts/protocol";
import { describe, expect, it, vi } from "vitest";
import { statefulFunction } from "../function.js";
import { statefunModule } from "../module.js";
import { valueSpec } from "../state.js";
import { Types } from "../types.js";
import { toFunctionBytes } from "./fixtures.js";
import { requestHandler } from "./handler.js";
import { counter, effects, typed } from "./scenarios.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const utf8hex = (s: string) => Buffer.from(s).toString("hex");
const int = (n: number) => typed(Types.int, n);
const ExpireMode = reqreply.FromFunction_ExpirationSpec_ExpireMode;

describe("handshake", () => {
  const handler = vi.fn();
  const ttl = statefulFunction({
    typename: "example/ttl",
    state: {
      seen: valueSpec("seen", Types.int),
      written: valueSpec("written", Types.string, { expireAfterWrite: "1d" }),
      touched: valueSpec("touched", Types.bool, { expireAfterCall: "5s" }),
    },
    accepts: [Types.int],
    handler,
  });
  const handle = requestHandler(ttl);

  it("asks for every missing state, with its type and expiry, and runs no user code", async () => {
    const bytes = await handle(
      toFunctionBytes({ target: ttl.at("a"), state: { written: undefined }, invocations: [{ argument: int(1) }] }),
    );
    const response = decodeFromFunction(bytes).response;
    expect(response.case).toBe("incompleteInvocationContext");
    const missing = response.case === "incompleteInvocationContext" ? response.value.missingValues : [];
    expect(missing.map((m) => [m.stateName, m.typeTypename, m.expirationSpec?.mode, m.expirationSpec?.expireAfterMillis])).toEqual([
      ["seen", "io.statefun.types/int", ExpireMode.NONE, 0n],
      ["touched", "io.statefun.types/bool", ExpireMode.AFTER_INVOKE, 5000n],
    ]);
    expect(handler).not.toHaveBeenCalled();
  });

  it("encodes as the official SDKs do (field 101, an expiration spec even for NONE)", async () => {
    const one = statefulFunction({ typename: "example/one", state: { seen: valueSpec("seen", Types.int) }, accepts: [Types.int], handler });
    const bytes = await requestHandler(one)(toFunctionBytes({ target: one.at("a"), state: {}, invocations: [{ argument: int(1) }] }));
    // FromFunction { incomplete_invocation_context (101) { missing_values (1) { state_name, expiration_spec {}, type_typename } } }
    const spec = `0a04${utf8hex("seen")}12001a15${utf8hex("io.statefun.types/int")}`;
    expect(hex(bytes)).toBe(`aa06210a1f${spec}`);
  });

  it("asks for an after-write expiry in millis", async () => {
    const bytes = await handle(toFunctionBytes({ target: ttl.at("a"), state: { seen: undefined, touched: undefined }, invocations: [] }));
    const response = decodeFromFunction(bytes).response;
    expect(response.case === "incompleteInvocationContext" && response.value.missingValues[0]?.expirationSpec).toMatchObject({
      mode: ExpireMode.AFTER_WRITE,
      expireAfterMillis: 86_400_000n,
    });
  });
});

describe("effect encoding", () => {
  const handle = requestHandler(effects);
  const request = toFunctionBytes({ target: effects.at("a"), state: { n: undefined }, invocations: [{ argument: int(0) }] });

  it("puts each effect in its InvocationResponse field", async () => {
    const response = decodeFromFunction(await handle(request)).response;
    if (response.case !== "invocationResult") throw new Error(`got ${response.case}`);
    const r = response.value;
    expect(r.outgoingMessages.map((m) => [m.target?.type, m.target?.id, hex(m.argument!.value)])).toEqual([["counter", "x", "0d01000000"]]);
    expect(r.delayedInvocations.map((d) => [d.delayInMs, d.target?.id, d.isCancellationRequest, d.cancellationToken])).toEqual([
      [2000n, "y", false, "t"],
      [0n, undefined, true, "t"],
    ]);
    expect(r.outgoingEgresses.map((e) => [e.egressNamespace, e.egressType, e.argument?.typename, hex(e.argument!.value)])).toEqual([
      ["example", "kafka", "io.statefun.types/int", "0d03000000"],
    ]);
    expect(r.stateMutations.map((m) => [m.mutationType, m.stateName, m.stateValue?.typename, m.stateValue?.hasValue])).toEqual([
      [reqreply.FromFunction_PersistedValueMutation_MutationType.MODIFY, "n", "io.statefun.types/int", true],
    ]);
  });

  it("encodes a cancellation as the official SDKs do (fields 10 and 11 only)", async () => {
    const bytes = await handle(request);
    expect(hex(bytes)).toContain(`1a055001${"5a0174"}`); // delayed_invocations { is_cancellation_request: true, cancellation_token: "t" }
  });

  it("answers an empty batch with an empty result", async () => {
    const bytes = await handle(toFunctionBytes({ target: effects.at("a"), state: { n: undefined }, invocations: [] }));
    expect(hex(bytes)).toBe("a20600");
  });
});

describe("errors", () => {
  const handle = requestHandler(statefunModule({ functions: [counter] }));

  it("rejects bytes that are not a ToFunction", async () => {
    await expect(handle(Uint8Array.of(0xff, 0xff))).rejects.toMatchObject({ code: "STATEFUN_BAD_MESSAGE" });
    const noBatch = encodeToFunction(create(reqreply.ToFunctionSchema, {}));
    await expect(handle(noBatch)).rejects.toThrow(/carries no invocation batch/);
  });

  it("names an unknown function and the ones served", async () => {
    const bytes = toFunctionBytes({ target: { namespace: "example", type: "nope", id: "a" }, state: {}, invocations: [] });
    const error = await handle(bytes).catch((e: unknown) => e);
    expect(StatefunError.is(error) && error.code).toBe("STATEFUN_UNKNOWN_TYPE");
    expect((error as Error).message).toBe("no function example/nope is served here (served: example/counter)");
  });

  it("reports the address, the message and the cause of a failed handler", async () => {
    const bytes = toFunctionBytes({
      target: counter.at("c"),
      state: { count: undefined, name: undefined },
      invocations: [{ argument: typed(Types.string, "boom") }],
    });
    const error = await handle(bytes).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "STATEFUN_FUNCTION_FAILED", terminal: false });
    expect((error as Error).message).toBe("example/counter/c (message io.statefun.types/string) failed: boom: the handler failed");
  });

  it("rejects a state holding another type than declared", async () => {
    const bytes = toFunctionBytes({
      target: counter.at("c"),
      state: { count: typed(Types.string, "x"), name: undefined },
      invocations: [{ argument: int(1) }],
    });
    await expect(handle(bytes)).rejects.toMatchObject({ code: "STATEFUN_STATE_TYPE" });
  });

  it("refuses to serve two definitions of one type name, or nothing", () => {
    const twin = statefulFunction({ typename: "example/counter", accepts: [Types.int], handler() {} });
    expect(() => requestHandler(counter, twin)).toThrow(/two different functions are defined as example\/counter/);
    expect(() => requestHandler(counter, [counter], statefunModule({ functions: [counter] }))).not.toThrow();
    expect(() => requestHandler()).toThrow(/nothing to serve/);
    expect(() => requestHandler({} as never)).toThrow(/cannot serve an object/);
  });
});
