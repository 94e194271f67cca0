// The function of the chain workloads: each message increments its instance's counter and goes
// on to the next of `ids` instances.
import { statefulFunction, Types, valueSpec } from "../../packages/sdk/dist/index.js";

/** The `bench/counter` function over `ids` instances; `onInvoke(id)`, when given, runs first in each invocation. */
export function chainCounter(ids, onInvoke) {
  const hops = valueSpec("hops", Types.int);
  const counter = statefulFunction({
    typename: "bench/counter",
    state: { hops },
    accepts: [Types.int],
    handler(ctx, message) {
      onInvoke?.(ctx.self.id);
      ctx.state.hops.set((ctx.state.hops.get() ?? 0) + 1);
      const next = (Number(ctx.self.id) * 7919 + 1) % ids;
      ctx.send(counter.at(String(next)), Types.int, message.as(Types.int) + 1);
    },
  });
  return counter;
}
