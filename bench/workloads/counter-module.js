// The module the request-reply workload loads into its worker (`statefun run` this file):
// `bench/counter/{id}` increments its count and replies with the new count.
import { statefulFunction, statefunModule, Types, valueSpec } from "../../packages/sdk/dist/index.js";

const count = valueSpec("count", Types.int);

export const counter = statefulFunction({
  typename: "bench/counter",
  state: { count },
  accepts: [Types.int],
  handler(ctx, message) {
    const n = (ctx.state.count.get() ?? 0) + message.as(Types.int);
    ctx.state.count.set(n);
    ctx.reply(Types.int, n);
  },
});

export default statefunModule({ functions: [counter] });
