import { StatefunError } from "@statefun-ts/protocol";
import type { EgressRecord } from "@statefun-ts/sdk/internal";
import type { FunctionBindings } from "./function-bindings.js";

/**
 * The error of an invocation that emitted a record to an egress no loaded module declares
 * (such a record would be stored with nobody to take it): terminal, so the batch is
 * dead-lettered with the egress named; `undefined` when every record has a declared egress.
 */
export function undeclaredEgress(
  functionType: string,
  records: readonly EgressRecord[],
  bindings: Pick<FunctionBindings, "declaresEgress" | "egresses">,
): StatefunError | undefined {
  for (const record of records) {
    if (bindings.declaresEgress(record.egress, record.topic)) continue;
    const declared = bindings
      .egresses()
      .map((e) => describe(e.egress, e.topic))
      .sort();
    return new StatefunError(
      "STATEFUN_FUNCTION_FAILED",
      `${functionType} emitted a record to egress ${describe(record.egress, record.topic)}, which no loaded module declares (declared: ${declared.join(", ") || "none"})`,
    );
  }
  return undefined;
}

function describe(egress: string, topic: string): string {
  return topic === "" ? egress : `${egress} topic ${JSON.stringify(topic)}`;
}
