import { StatefunError } from "@statefun-ts/protocol";
import type { StatefulFunction } from "@statefun-ts/sdk";
import { type Effects, InvocationContext, message } from "@statefun-ts/sdk/internal";
import type { Binding, InvokeRequest, StateSpecInfo } from "../binding.js";

/** The binding of an embedded TypeScript function: invoked in-process, one message at a time. */
export function embeddedBinding(fn: StatefulFunction): Binding {
  const accepts = new Set<string>(fn.accepts.map((t: { typename: string }) => t.typename));
  const specs: StateSpecInfo[] = [...fn.specs.values()].map((s) => ({ name: s.name, typename: s.type.typename, expiration: s.expiration }));
  return {
    typename: fn.typename,
    accepts,
    specs: () => specs,
    retry: fn.retry,
    instanceTtlMs: fn.instanceTtlMs,
    invoker: {
      maxBatch: 1,
      invoke(request: InvokeRequest): Effects | Promise<Effects> {
        const m = request.messages[0]!;
        if (!accepts.has(m.argument.typename)) {
          throw new StatefunError(
            "STATEFUN_BAD_MESSAGE",
            `${fn.typename} does not accept messages of type ${m.argument.typename} (it accepts ${[...accepts].join(", ")})`,
          );
        }
        const ctx = new InvocationContext(request.address, m.caller, fn.stateSpecs, (name) => request.value(name));
        const done = fn.handler(ctx, message(m.argument));
        return done instanceof Promise ? done.then(() => ctx.effects) : ctx.effects;
      },
    },
  };
}
