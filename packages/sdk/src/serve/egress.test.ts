import { describe, expect, it } from "vitest";
import { egressRef, PLAYGROUND_EGRESS } from "../refs.js";
import { customType, jsonType, Types } from "../types.js";
import { PLAYGROUND_EGRESS_RECORD, playgroundPayload, wireEgressArgument } from "./egress.js";
import { typed } from "./scenarios.js";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("egress records on the wire", () => {
  it("wrap playground records as StateFun's playground does", () => {
    const wire = wireEgressArgument({ egress: PLAYGROUND_EGRESS, topic: "greetings", argument: typed(Types.string, 'Hello, "Bob"') });
    expect(wire.typename).toBe(PLAYGROUND_EGRESS_RECORD);
    expect(text(wire.value)).toBe('{"topic":"greetings","payload":"Hello, \\"Bob\\""}');
  });

  it("carry strings as text, JSON as its text, other bytes in base64", () => {
    const Greeting = jsonType<{ text: string }>("example/Greeting");
    expect(playgroundPayload(typed(Types.string, "héllo"))).toBe("héllo");
    expect(playgroundPayload(typed(Greeting, { text: "hi" }))).toBe('{"text":"hi"}');
    expect(playgroundPayload(typed(Types.int, 1))).toBe("DQEAAAA=");
    const Raw = customType<Uint8Array>("example/raw", { serialize: (b) => b, deserialize: (b) => b });
    expect(playgroundPayload(typed(Raw, Uint8Array.of(0xff, 0xfe)))).toBe("//4=");
    expect(playgroundPayload(typed(Raw, new Uint8Array(0)))).toBe("");
  });

  it("send records of other egresses as typed (the topic stays with the egress)", () => {
    const kafka = egressRef("audit", Types.string, "example/kafka");
    const argument = typed(kafka.type, "x");
    expect(wireEgressArgument({ egress: kafka.egress, topic: kafka.topic, argument })).toBe(argument);
  });
});
