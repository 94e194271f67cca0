import { type Effects, errorText, StatefunError } from "@statefun-ts/protocol";
import type { StatefulFunction } from "@statefun-ts/sdk";
import { InvocationContext, message } from "@statefun-ts/sdk/internal";
import type { Binding, InvokeRequest, StateSpecInfo } from "../binding.js";

/**
 * The binding of an embedded TypeScript function: invoked in-process, one message at a time.
 * Map and list states read their entries through `request.entries`; their entries (`name[key]`)
 * take the expiry of the state `name`.
 */
export function embeddedBinding(fn: StatefulFunction): Binding {
  const accepts = new Set<string>(fn.accepts.map((t) => t.typename));
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
        const ctx = new InvocationContext(request.address, m.caller, fn.stateSpecs, request);
        let done: void | Promise<void>;
        try {
          done = fn.handler(ctx, message(m.argument));
        } catch (cause) {
          throw named(fn.typename, cause);
        }
        return done instanceof Promise ? effectsOnceDone(fn.typename, done, ctx) : ctx.effects;
      },
    },
  };
}

/**
 * The effects of a handler that returned a promise. A function of its own: a closure in `invoke`
 * would cost every invocation, synchronous ones included, the allocation of its context.
 */
function effectsOnceDone(functionType: string, done: Promise<void>, ctx: InvocationContext): Promise<Effects> {
  return done.then(
    () => ctx.effects,
    (cause: unknown) => {
      throw named(functionType, cause);
    },
  );
}

/** The dispatcher dead-letters terminal errors at once, with their message: make it say which function failed. */
function named(functionType: string, cause: unknown): unknown {
  if (!StatefunError.is(cause) || cause.message.startsWith(functionType)) return cause;
  return new StatefunError(cause.code, `${functionType}: ${errorText(cause)}`, { cause, terminal: cause.terminal });
}
