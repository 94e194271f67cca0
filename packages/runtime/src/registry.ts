import { StatefunError } from "@statefun-ts/protocol";
import type { EgressRef, HttpIngress, StatefulFunction, StatefunModule, ValueSpec } from "@statefun-ts/sdk";

/** A loaded function type with what the engine precomputes for it. */
export interface Binding {
  readonly fn: StatefulFunction;
  readonly accepts: ReadonlySet<string>;
  readonly specs: readonly ValueSpec<unknown>[];
  /** Some state expires after each call: every invocation rewrites its expiry. */
  readonly hasAfterCall: boolean;
}

/** The function types, egresses and ingresses loaded into a runtime. */
export class Registry {
  private readonly bindings = new Map<string, Binding>();
  private readonly egressTopics = new Map<string, EgressRef<any>>();
  private readonly httpIngresses = new Map<string, HttpIngress<any>>();

  load(module: StatefunModule): void {
    for (const fn of module.functions) {
      const specs = [...fn.specs.values()];
      this.bindings.set(fn.typename, {
        fn,
        accepts: new Set(fn.accepts.map((t) => t.typename)),
        specs,
        hasAfterCall: specs.some((s) => s.expiration.mode === "after-call"),
      });
    }
    for (const egress of module.egresses) {
      const existing = this.egressTopics.get(egress.topic);
      if (existing && existing.type.typename !== egress.type.typename) {
        throw new StatefunError(
          "STATEFUN_BAD_MODULE",
          `egress topic ${egress.topic} is declared twice with different types: ${existing.type.typename} and ${egress.type.typename}`,
        );
      }
      this.egressTopics.set(egress.topic, egress);
    }
    for (const ingress of module.ingresses) this.httpIngresses.set(ingress.path, ingress);
  }

  binding(functionType: string): Binding | undefined {
    return this.bindings.get(functionType);
  }

  functionTypes(): string[] {
    return [...this.bindings.keys()].sort();
  }

  egresses(): EgressRef<any>[] {
    return [...this.egressTopics.values()];
  }

  egress(topic: string): EgressRef<any> | undefined {
    return this.egressTopics.get(topic);
  }

  ingresses(): HttpIngress<any>[] {
    return [...this.httpIngresses.values()];
  }
}
