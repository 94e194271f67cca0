import { create, reqreply } from "@statefun-ts/protocol";
import type { StatefulFunction } from "../function.js";
import type { Expiration } from "../state.js";

const ExpireMode = reqreply.FromFunction_ExpirationSpec_ExpireMode;

/**
 * The states `fn` declares that the request does not carry, as the specs StateFun asks
 * for in an `IncompleteInvocationContext` (name, typename, expiration). Empty when the
 * request carries every declared state and user code may run. `present` is any set or map
 * keyed by state name.
 *
 * @example
 * const missing = missingStates(counter, new Set(["count"]));
 * if (missing.length > 0) return incompleteContext(missing);
 */
export function missingStates(
  fn: StatefulFunction<any, any>,
  present: { has(name: string): boolean },
): reqreply.FromFunction_PersistedValueSpec[] {
  const missing: reqreply.FromFunction_PersistedValueSpec[] = [];
  for (const spec of fn.specs.values()) {
    if (present.has(spec.name)) continue;
    missing.push(
      create(reqreply.FromFunction_PersistedValueSpecSchema, {
        stateName: spec.name,
        typeTypename: spec.type.typename,
        expirationSpec: expirationSpec(spec.expiration),
      }),
    );
  }
  return missing;
}

/**
 * The response that asks the runtime to register the missing states and send the batch again.
 *
 * @example
 * encodeFromFunction(incompleteContext(missingStates(counter, new Set())));
 */
export function incompleteContext(missing: reqreply.FromFunction_PersistedValueSpec[]): reqreply.FromFunction {
  return create(reqreply.FromFunctionSchema, {
    response: { case: "incompleteInvocationContext", value: { missingValues: missing } },
  });
}

function expirationSpec(expiration: Expiration): reqreply.FromFunction_ExpirationSpec {
  switch (expiration.mode) {
    case "none":
      return create(reqreply.FromFunction_ExpirationSpecSchema, { mode: ExpireMode.NONE });
    case "after-write":
      return create(reqreply.FromFunction_ExpirationSpecSchema, {
        mode: ExpireMode.AFTER_WRITE,
        expireAfterMillis: BigInt(expiration.millis),
      });
    case "after-call":
      return create(reqreply.FromFunction_ExpirationSpecSchema, {
        mode: ExpireMode.AFTER_INVOKE,
        expireAfterMillis: BigInt(expiration.millis),
      });
  }
}
