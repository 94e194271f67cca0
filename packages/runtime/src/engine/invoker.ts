import { StatefunError } from "@statefun-ts/protocol";
import { type Effects, InvocationContext, message } from "@statefun-ts/sdk/internal";
import type { Binding } from "../registry.js";
import type { StoredMessage } from "../store/types.js";
import type { Mailbox } from "./mailbox.js";

/**
 * Runs an embedded function on one message: its effects, or a promise of them when the
 * handler is asynchronous. Throws (or rejects) with the handler's error.
 */
export function invokeEmbedded(binding: Binding, mb: Mailbox, m: StoredMessage, now: number): Effects | Promise<Effects> {
  if (!binding.accepts.has(m.argument.typename)) {
    throw new StatefunError(
      "STATEFUN_BAD_MESSAGE",
      `${binding.fn.typename} does not accept messages of type ${m.argument.typename} (it accepts ${[...binding.accepts].join(", ")})`,
    );
  }
  const ctx = new InvocationContext(mb.address, m.caller, binding.fn.stateSpecs, (name) => mb.value(name, now));
  const done = binding.fn.handler(ctx, message(m.argument));
  return done instanceof Promise ? done.then(() => ctx.effects) : ctx.effects;
}
