import { type Address, formatAddress, StatefunError, type TypedValue } from "@statefun-ts/protocol";
import type { StatefulFunction } from "@statefun-ts/sdk";
import { type Effects, errorText, InvocationContext, message, type StateReader } from "@statefun-ts/sdk/internal";

/** What one invocation produced: its effects, or why it failed (its effects are then dropped). */
export type Outcome = { readonly ok: true; readonly effects: Effects } | { readonly ok: false; readonly error: StatefunError };

/** Runs a function's handler once for one message, collecting its effects without applying them. */
export async function invoke(
  fn: StatefulFunction<any, any>,
  target: Address,
  caller: Address | undefined,
  argument: TypedValue,
  readState: StateReader,
): Promise<Outcome> {
  const where = `${formatAddress(target)} (message ${argument.typename}${caller ? ` from ${formatAddress(caller)}` : ""})`;
  if (!fn.accepts.some((type) => type.typename === argument.typename)) {
    const accepted = fn.accepts.map((type) => type.typename).join(", ");
    const error = new StatefunError(
      "STATEFUN_BAD_MESSAGE",
      `${where}: ${fn.typename} does not accept ${argument.typename}; it accepts ${accepted}`,
    );
    return { ok: false, error };
  }
  const ctx = new InvocationContext(target, caller, fn.stateSpecs, readState);
  try {
    await fn.handler(ctx, message(argument));
    return { ok: true, effects: ctx.effects };
  } catch (cause) {
    const code = StatefunError.is(cause) ? cause.code : "STATEFUN_FUNCTION_FAILED";
    return { ok: false, error: new StatefunError(code, `${where} failed: ${errorText(cause)}`, { cause }) };
  }
}
