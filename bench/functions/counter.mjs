// The chain benchmark's counter, written with our SDK and served over StateFun's protocol.
//   node bench/functions/counter.mjs --ids 1000 --port 0
// Prints `listening on http://HOST:PORT` once it serves.

import { statefulFunction, Types, valueSpec } from "../../packages/sdk/dist/index.js";
import { serve } from "../../packages/sdk/dist/node.js";

const option = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ids = option("ids", 1000);

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

const server = await serve(counter, { port: option("port", 0) });
console.log(`listening on ${server.url}`);
