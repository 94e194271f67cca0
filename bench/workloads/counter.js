// The function of the chain workloads: each message increments its instance's counter and goes
// on to the next of `ids` instances.
import { statefulFunction, Types, valueSpec } from "../../packages/sdk/dist/index.js";

/** The `bench/counter` function over `ids` instances. */
export function chainCounter(ids) {
  const hops = valueSpec("hops", Types.int);
  const counter = statefulFunction({
    typename: "bench/counter",
    state: { hops },
    accepts: [Types.int],
    handler(ctx, message) {
      ctx.state.hops.set((ctx.state.hops.get() ?? 0) + 1);
      const next = (Number(ctx.self.id) * 7919 + 1) % ids;
      ctx.send(counter.at(String(next)), Types.int, message.as(Types.int) + 1);
    },
  });
  return counter;
}
