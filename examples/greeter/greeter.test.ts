import { testHarness } from "@statefun-ts/testing";
import { describe, expect, it } from "vitest";
import greeterModule, { GreetRequest, greeter, greetingFor, greetings, person, visits } from "./module.js";

const greet = (name: string) => ({ typename: GreetRequest.typename, value: new TextEncoder().encode(JSON.stringify({ name })) });

describe("greeter example", () => {
  it("greets differently on the 1st, 2nd, 3rd and 4th visit", async () => {
    const harness = testHarness(greeterModule);
    for (let i = 0; i < 5; i++) await harness.send(person.at("Bob"), GreetRequest, { name: "Bob" });
    expect(harness.egress(greetings)).toEqual([
      "Welcome Bob!",
      "Nice to see you again Bob.",
      "Third time is a charm Bob!",
      "Hello Bob for the 4th time!",
      "Hello Bob for the 5th time!",
    ]);
    expect(new Set(harness.egress(greetings).slice(0, 4)).size).toBe(4);
    expect(harness.state(person.at("Bob"), visits)).toBe(5);
  });

  it("counts visits per name and forwards to the greeter of that name", async () => {
    const harness = testHarness(person, greeter);
    await harness.send(person.at("Bob"), GreetRequest, { name: "Bob" });
    const run = await harness.send(person.at("Alice"), GreetRequest, { name: "Alice" });
    expect(run.egress(greetings)).toEqual(["Welcome Alice!"]);
    expect(run.invocations.map((i) => [i.target, i.caller])).toEqual([
      [person.at("Alice"), undefined],
      [greeter.at("Alice"), person.at("Alice")],
    ]);
    expect(harness.state(person.at("Bob"), visits)).toBe(1);
  });

  it("rejects a request that is not a GreetRequest", async () => {
    const harness = testHarness(greeterModule);
    await harness.sendRaw(person.at("Bob"), greet("Bob"));
    const bad = { typename: GreetRequest.typename, value: new TextEncoder().encode('{"nom":"Bob"}') };
    await expect(harness.sendRaw(person.at("Bob"), bad)).rejects.toThrow(/JSON does not match the schema of example\/GreetRequest/);
    expect(harness.state(person.at("Bob"), visits)).toBe(1);
  });

  it("writes ordinals in English", () => {
    expect([11, 12, 13, 21, 22, 23, 101, 111].map((n) => greetingFor("Bob", n).split(" ")[4])).toEqual([
      "11th",
      "12th",
      "13th",
      "21st",
      "22nd",
      "23rd",
      "101st",
      "111th",
    ]);
  });
});
