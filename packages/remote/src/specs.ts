import { MAX_DURATION_MS, reqreply, StatefunError } from "@statefun-ts/protocol";
import type { StateSpecInfo } from "@statefun-ts/runtime";
import type { Expiration } from "@statefun-ts/sdk";

const ExpireMode = reqreply.FromFunction_ExpirationSpec_ExpireMode;

/**
 * The states an `IncompleteInvocationContext` asks for, as registrations: name, type name and
 * expiry (`NONE` → none, `AFTER_WRITE` → after-write, `AFTER_INVOKE` → after-call).
 *
 * @example
 * await stateSpecs.register(functionType, missingSpecs(context, "example/greeter at http://fns/greeter"));
 */
export function missingSpecs(context: reqreply.FromFunction_IncompleteInvocationContext, where: string): StateSpecInfo[] {
  return context.missingValues.map((v) => {
    if (v.stateName === "") throw invalid(`${where}: asks for a state without a name`);
    if (v.typeTypename === "") throw invalid(`${where}: asks for state ${v.stateName} without a type name`);
    return { name: v.stateName, typename: v.typeTypename, expiration: expiration(v, where) };
  });
}

function expiration(v: reqreply.FromFunction_PersistedValueSpec, where: string): Expiration {
  const mode = v.expirationSpec?.mode ?? ExpireMode.NONE;
  if (mode === ExpireMode.NONE) return { mode: "none" };
  const millis = Number(v.expirationSpec?.expireAfterMillis ?? 0n);
  if (!(millis > 0)) throw invalid(`${where}: state ${v.stateName} expires after ${millis} ms`);
  if (millis > MAX_DURATION_MS) {
    throw invalid(
      `${where}: state ${v.stateName} expires after ${millis} ms, longer than the longest, 10000 years (${MAX_DURATION_MS} ms)`,
    );
  }
  if (mode === ExpireMode.AFTER_WRITE) return { mode: "after-write", millis };
  if (mode === ExpireMode.AFTER_INVOKE) return { mode: "after-call", millis };
  throw invalid(`${where}: state ${v.stateName} has an unknown expiration mode ${mode}`);
}

function invalid(message: string): StatefunError {
  return new StatefunError("STATEFUN_FUNCTION_FAILED", message, { terminal: true });
}
