import { type Address, formatAddress, StatefunError, type TypedValue } from "@statefun-ts/protocol";
import { InvocationContext } from "../context.js";
import { type Effects, emptyEffects } from "../effects.js";
import type { StatefulFunction } from "../function.js";
import { message } from "../message.js";
import { errorText } from "../types.js";

/**
 * One message of a batch: its sender (absent for ingress messages) and its value.
 *
 * @example
 * const invocation: BatchInvocation = { caller: address("statefun.ingress/http", "req-1"), argument: one };
 */
export interface BatchInvocation {
  readonly caller: Address | undefined;
  readonly argument: TypedValue;
}

/**
 * Runs the invocations of one batch in order, as the embedded runtime runs them one by one:
 * each sees the state as left by the previous ones. Returns their effects merged: messages,
 * delayed messages and egress records in the order issued, and in `state` the final value
 * of every state written (set or cleared) by any of them. Throws on the first message the
 * function does not accept or the first handler that throws; no effect of the batch is kept.
 *
 * @example
 * const effects = await runBatch(counter, counter.at("a"), new Map(), [{ caller: undefined, argument: one }]);
 * effects.state.get("count"); // the new count, or null when cleared
 */
export async function runBatch(
  fn: StatefulFunction<any, any>,
  target: Address,
  initial: ReadonlyMap<string, TypedValue | undefined>,
  invocations: readonly BatchInvocation[],
): Promise<Effects> {
  const merged = emptyEffects();
  const current = (name: string): TypedValue | undefined =>
    merged.state.has(name) ? (merged.state.get(name) ?? undefined) : initial.get(name);
  for (const { caller, argument } of invocations) {
    const ctx = new InvocationContext(target, caller, fn.stateSpecs, current);
    try {
      // The function's handler rejects a message of a type it does not accept, naming the types it does.
      await fn.handler(ctx, message(argument));
    } catch (cause) {
      const where = `${formatAddress(target)} (message ${argument.typename}${caller ? ` from ${formatAddress(caller)}` : ""})`;
      const code = StatefunError.is(cause) ? cause.code : "STATEFUN_FUNCTION_FAILED";
      const terminal = StatefunError.is(cause) ? cause.terminal : false;
      throw new StatefunError(code, `${where} failed: ${errorText(cause)}`, { cause, terminal });
    }
    merge(merged, ctx.effects);
  }
  return merged;
}

function merge(into: Effects, from: Effects): void {
  into.messages.push(...from.messages);
  into.delayed.push(...from.delayed);
  into.egress.push(...from.egress);
  for (const [name, value] of from.state) into.state.set(name, value);
}
