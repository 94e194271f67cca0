import { isStatefulFunction, type StatefulFunction } from "./function.js";
import { type HttpIngress, isIngress } from "./ingress.js";
import { isKafkaDeclaration, type KafkaEgressDeclaration, type KafkaIngressDeclaration } from "./kafka.js";
import { type EgressRef, isEgressRef } from "./refs.js";

/** A module: functions, ingresses and egresses loaded into a runtime together. */
export interface StatefunModule {
  readonly functions: readonly StatefulFunction<any, any>[];
  readonly ingresses: readonly HttpIngress<any>[];
  readonly egresses: readonly EgressRef<any>[];
  /** Kafka ingresses and egresses (`kafkaIngress`, `kafkaEgressSpec`). */
  readonly kafka?: readonly (KafkaIngressDeclaration | KafkaEgressDeclaration)[];
}

/**
 * Declares a module. A module file (`statefun run my-module.ts`) default-exports one, or
 * simply exports its functions, ingresses and egresses by name.
 *
 * @example
 * export default statefunModule({ functions: [person, greeter], egresses: [greetings] });
 */
export function statefunModule(parts: Partial<StatefunModule>): StatefunModule {
  const module = { functions: parts.functions ?? [], ingresses: parts.ingresses ?? [], egresses: parts.egresses ?? [] };
  return parts.kafka === undefined || parts.kafka.length === 0 ? module : { ...module, kafka: parts.kafka };
}

/** Collects a module from the exports of a module file. */
export function moduleFromExports(exports: Record<string, unknown>): StatefunModule {
  const value = exports.default;
  if (typeof value === "object" && value !== null && "functions" in value && Array.isArray((value as StatefunModule).functions)) {
    return statefunModule(value as Partial<StatefunModule>);
  }
  const values = Object.values(exports);
  return statefunModule({
    functions: values.filter(isStatefulFunction),
    ingresses: values.filter(isIngress),
    egresses: values.filter(isEgressRef),
    kafka: values.filter(isKafkaDeclaration),
  });
}
