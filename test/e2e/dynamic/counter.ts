/**
 * The function of the dynamic loading tests: counts the messages of each address in state and
 * writes one egress record per message, `type|id|payload|tag`, where `tag` names the code
 * version (embedded) or the server (remote) that ran it. Only imports the SDK.
 */
import {
  egressRef,
  type HttpIngress,
  httpIngress,
  jsonType,
  type StatefulFunction,
  statefulFunction,
  Types,
  valueSpec,
} from "@statefun-ts/sdk";

export const OUT_TOPIC = "dynamic-out";
export const out = egressRef(OUT_TOPIC, Types.string);
const count = valueSpec("count", Types.int);

/** What the routed HTTP ingress takes: `{"id":"a","payload":"m1"}`. */
export const Routed = jsonType<{ id: string; payload: string }>("dynamic/Routed");

export function counter(typename: string, tag: string): StatefulFunction {
  return statefulFunction({
    typename,
    state: { count },
    accepts: [Types.string, Routed],
    handler(ctx, message) {
      const payload = message.is(Routed) ? message.as(Routed).payload : message.as(Types.string);
      ctx.state.count.set((ctx.state.count.get() ?? 0) + 1);
      ctx.egress(out, `${typename}|${ctx.self.id}|${payload}|${tag}`);
    },
  });
}

/** An HTTP ingress at `path` routing each record to `fn` at the record's id. */
export function route(path: string, fn: StatefulFunction): HttpIngress<{ id: string; payload: string }> {
  return httpIngress({ path, type: Routed, route: (r) => [fn.at(r.id)] });
}
