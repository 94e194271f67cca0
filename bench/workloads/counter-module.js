// The module the request-reply workload loads into its worker (`statefun run` this file):
// `bench/counter/{id}` adds the int it receives to its count and replies with the new count.
//
// When the worker was started with an IPC channel (as bench/workloads/request-reply.js does),
// this file also answers probes from the load generator about the worker's own process:
// `{ probe: "reset" }` starts a new measurement window and `{ probe: "read" }` answers with the
// event-loop delay (how late timers and I/O callbacks ran) and the garbage-collection pauses
// since the last reset; and it stops the worker when the channel closes. Without IPC it is just
// the module.
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
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

if (typeof process.send === "function") {
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  let gcPauses = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauses.push(entry.duration);
  }).observe({ entryTypes: ["gc"] });
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  process.on("message", (message) => {
    if (message?.probe === "reset") {
      loopDelay.reset();
      gcPauses = [];
      process.send({ probe: "reset" });
    } else if (message?.probe === "read") {
      const sorted = Float64Array.from(gcPauses).sort();
      const round = (v) => Math.round(v * 100) / 100;
      process.send({
        probe: "read",
        loopDelayP50ms: ms(loopDelay.percentile(50)),
        loopDelayP99ms: ms(loopDelay.percentile(99)),
        loopDelayMaxMs: ms(loopDelay.max),
        gcPauses: sorted.length,
        gcTotalMs: round(sorted.reduce((a, b) => a + b, 0)),
        gcMaxMs: round(sorted.at(-1) ?? 0),
      });
    }
  });
  // The IPC channel must not keep the worker alive once it wants to stop, and a worker whose
  // load generator is gone (killed, crashed) stops too instead of lingering.
  process.channel?.unref();
  process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));
}
