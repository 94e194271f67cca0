/**
 * The greeter with Kafka in and out: `example/person/{name}` takes the `example/GreetRequest`
 * records of the topic `names` (the record key is the name), counts the visits of that name, and
 * writes its greeting to the topic `greetings` through the Kafka egress `example/greets`
 * (declared in `module.yaml`, in StateFun's format), keyed by the name.
 */
import { kafkaEgress, statefulFunction, statefunModule } from "@statefun-ts/sdk";
import { GreetRequest, greetingFor, visits } from "../greeter/module.js";

/** The Kafka egress of `module.yaml`; each record names its topic and key. */
export const greets = kafkaEgress("example/greets");

export const person = statefulFunction({
  typename: "example/person",
  state: { visits },
  accepts: [GreetRequest],
  handler(ctx, message) {
    const { name } = message.as(GreetRequest);
    const seen = (ctx.state.visits.get() ?? 0) + 1;
    ctx.state.visits.set(seen);
    ctx.egress(greets, { topic: "greetings", key: name, value: greetingFor(name, seen) });
  },
});

export default statefunModule({ functions: [person] });
