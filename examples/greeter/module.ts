/**
 * The StateFun playground greeter: `example/person` counts the visits of each name and
 * asks `example/greeter` for a greeting that changes with the count, which leaves the
 * system on the egress topic `greetings`.
 */
import { egressRef, jsonType, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";

export interface GreetRequest {
  readonly name: string;
}

export interface GreetWithVisits {
  readonly name: string;
  readonly visits: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** What arrives from outside, e.g. `{"name":"Bob"}` posted to `/example/person/Bob`. */
export const GreetRequest = jsonType<GreetRequest>("example/GreetRequest", {
  schema: (v): v is GreetRequest => isObject(v) && typeof v.name === "string" && v.name !== "",
});

/** What `person` tells `greeter`: the name and how many times it has been seen. */
export const GreetWithVisits = jsonType<GreetWithVisits>("example/GreetWithVisits", {
  schema: (v): v is GreetWithVisits =>
    isObject(v) && typeof v.name === "string" && typeof v.visits === "number" && Number.isInteger(v.visits) && v.visits > 0,
});

/** Greetings leave on the playground egress, topic `greetings` (`curl localhost:8091/greetings`). */
export const greetings = egressRef("greetings", Types.string);

/** How many times a person has been greeted. */
export const visits = valueSpec("visits", Types.int);

/** The greeting for the `visits`-th visit of `name`. */
export function greetingFor(name: string, visits: number): string {
  if (visits === 1) return `Welcome ${name}!`;
  if (visits === 2) return `Nice to see you again ${name}.`;
  if (visits === 3) return `Third time is a charm ${name}!`;
  return `Hello ${name} for the ${ordinal(visits)} time!`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${["th", "st", "nd", "rd"][n % 10] ?? "th"}`;
}

/** Stateless: turns a name and a visit count into a greeting on the egress. */
export const greeter = statefulFunction({
  typename: "example/greeter",
  accepts: [GreetWithVisits],
  handler(ctx, message) {
    const { name, visits } = message.as(GreetWithVisits);
    ctx.egress(greetings, greetingFor(name, visits));
  },
});

/** One instance per name: counts the visits and forwards them to the greeter. */
export const person = statefulFunction({
  typename: "example/person",
  state: { visits },
  accepts: [GreetRequest],
  handler(ctx, message) {
    const { name } = message.as(GreetRequest);
    const seen = (ctx.state.visits.get() ?? 0) + 1;
    ctx.state.visits.set(seen);
    ctx.send(greeter.at(name), GreetWithVisits, { name, visits: seen });
  },
});

export default statefunModule({ functions: [person, greeter], egresses: [greetings] });
