/**
 * The function of the dynamic loading tests: counts the messages of each address in state and
 * writes one egress record per message, `type|id|payload|tag`, where `tag` names the code
 * version (embedded) or the server (remote) that ran it. Only imports the SDK.
 */
import { egressRef, type StatefulFunction, statefulFunction, Types, valueSpec } from "@statefun-ts/sdk";

export const OUT_TOPIC = "dynamic-out";
export const out = egressRef(OUT_TOPIC, Types.string);
const count = valueSpec("count", Types.int);

export function counter(typename: string, tag: string): StatefulFunction {
  return statefulFunction({
    typename,
    state: { count },
    accepts: [Types.string],
    handler(ctx, message) {
      ctx.state.count.set((ctx.state.count.get() ?? 0) + 1);
      ctx.egress(out, `${typename}|${ctx.self.id}|${message.as(Types.string)}|${tag}`);
    },
  });
}
