import { parseTypeName, StatefunError } from "@statefun-ts/protocol";
import type { EgressRef, HttpIngress, StatefulFunction, StatefunModule } from "@statefun-ts/sdk";
import type { Binding } from "./binding.js";
import { embeddedBinding } from "./engine/embedded.js";

/** The function bindings of a runtime (embedded and remote, by type or namespace), and the egresses and ingresses its modules declare. */
export class FunctionBindings {
  private readonly bindings = new Map<string, Binding>();
  private readonly functions = new Map<string, StatefulFunction>();
  /** Declarations of each topic, oldest first: a topic stays while one of its declaring modules is loaded. */
  private readonly egressTopics = new Map<string, EgressRef<any>[]>();
  private readonly httpIngresses = new Map<string, HttpIngress<any>>();
  /** `functionTypes()` and `ingresses()` as last listed, until a change: the ingress asks for them on every request. */
  private typesListed: readonly string[] | undefined;
  private ingressesListed: readonly HttpIngress<any>[] | undefined;

  /** Throws `STATEFUN_BAD_MODULE`, changing nothing, when the module declares a known egress topic with another type. */
  check(module: StatefunModule): void {
    for (const egress of module.egresses) {
      const existing = this.egressTopics.get(egress.topic)?.[0];
      if (existing && existing.type.typename !== egress.type.typename) {
        throw new StatefunError(
          "STATEFUN_BAD_MODULE",
          `egress topic ${egress.topic} is declared twice with different types: ${existing.type.typename} and ${egress.type.typename}`,
        );
      }
    }
  }

  load(module: StatefunModule): void {
    this.check(module);
    for (const fn of module.functions) {
      this.bindings.set(fn.typename, embeddedBinding(fn));
      this.functions.set(fn.typename, fn);
    }
    for (const egress of module.egresses) {
      const declared = this.egressTopics.get(egress.topic);
      if (declared === undefined) this.egressTopics.set(egress.topic, [egress]);
      else declared.push(egress);
    }
    for (const ingress of module.ingresses) this.httpIngresses.set(ingress.path, ingress);
    this.changed();
  }

  /** Binds a function type, or a whole namespace with `namespace/*` (an exact type wins over its namespace). */
  bind(binding: Binding): void {
    parseTypeName(binding.typename);
    this.bindings.set(binding.typename, binding);
    this.functions.delete(binding.typename);
    this.changed();
  }

  /** Removes the binding of a type or namespace (`ns/*`); true when there was one. */
  unbind(typename: string): boolean {
    this.functions.delete(typename);
    this.changed();
    return this.bindings.delete(typename);
  }

  /**
   * Removes what `load(module)` added and is still this module's: functions bound to its
   * function objects, its egress declarations and its ingresses (a newer module that replaced
   * one of them keeps it).
   */
  unload(module: StatefunModule): void {
    for (const fn of module.functions) {
      if (this.functions.get(fn.typename) === fn) this.unbind(fn.typename);
    }
    for (const egress of module.egresses) {
      const declared = this.egressTopics.get(egress.topic);
      const at = declared?.indexOf(egress) ?? -1;
      if (at >= 0) declared!.splice(at, 1);
      if (declared?.length === 0) this.egressTopics.delete(egress.topic);
    }
    for (const ingress of module.ingresses) if (this.httpIngresses.get(ingress.path) === ingress) this.httpIngresses.delete(ingress.path);
    this.changed();
  }

  private changed(): void {
    this.typesListed = undefined;
    this.ingressesListed = undefined;
  }

  binding(functionType: string): Binding | undefined {
    const exact = this.bindings.get(functionType);
    if (exact !== undefined || this.bindings.size === this.functions.size) return exact;
    return this.bindings.get(`${functionType.slice(0, functionType.lastIndexOf("/"))}/*`);
  }

  /** The embedded function of a type, if that is how it is bound. */
  function(functionType: string): StatefulFunction | undefined {
    return this.functions.get(functionType);
  }

  /** The bound types and namespaces, sorted (the same array until one changes). */
  functionTypes(): readonly string[] {
    this.typesListed ??= Object.freeze([...this.bindings.keys()].sort());
    return this.typesListed;
  }

  /**
   * Whether a loaded module declares egress `egress` with topic `topic`; a record without a
   * topic (a remote function's record for an egress that routes by itself, e.g. a Kafka
   * egress) needs a declaration of that egress with any topic.
   */
  declaresEgress(egress: string, topic: string): boolean {
    if (topic !== "") return this.egressTopics.get(topic)?.some((e) => e.egress === egress) ?? false;
    for (const declared of this.egressTopics.values()) if (declared.some((e) => e.egress === egress)) return true;
    return false;
  }

  egresses(): EgressRef<any>[] {
    return [...this.egressTopics.values()].map((declared) => declared.at(-1)!);
  }

  /** The ingresses of the loaded modules (the same array until one changes). */
  ingresses(): readonly HttpIngress<any>[] {
    this.ingressesListed ??= Object.freeze([...this.httpIngresses.values()]);
    return this.ingressesListed;
  }
}
