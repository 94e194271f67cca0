import {
  brokersOf,
  type DelivererTurn,
  type KafkaClient,
  type KafkaClientFactory,
  KafkaEgress,
  type KafkaEgressSpec,
  type KafkaEgressStatus,
  KafkaIngress,
  type KafkaIngressSpec,
  type KafkaIngressStatus,
  type KafkaRouter,
  kafkajsClient,
} from "@statefun-ts/kafka";
import { StatefunError } from "@statefun-ts/protocol";
import type { Logger, Runtime, Store } from "@statefun-ts/runtime";
import {
  type KafkaEgressDeclaration,
  type KafkaIngressDeclaration,
  kafkaEgress,
  type StatefunModule,
  statefunModule,
} from "@statefun-ts/sdk";

/** Kafka ingresses and egresses of one module. */
export interface KafkaSpecs {
  readonly ingresses: readonly KafkaIngressSpec[];
  readonly egresses: readonly KafkaEgressSpec[];
  /** Routers of embedded modules, by ingress id and topic. */
  readonly routers?: ReadonlyMap<string, ReadonlyMap<string, KafkaRouter>> | undefined;
}

export interface KafkaConnectorsDeps {
  readonly runtime: Runtime;
  readonly store: Store;
  readonly logger: Logger;
  /** The Kafka client (default kafkajs). */
  readonly client?: KafkaClientFactory | undefined;
}

/**
 * The Kafka ingresses and egresses running in a worker, from module files and modules loaded
 * through the admin API. Each id runs once; `open` refuses an id another module runs.
 */
export class KafkaConnectors {
  private readonly ingresses = new Map<string, KafkaIngress>();
  private readonly egresses = new Map<string, KafkaEgress>();
  /** Specs declared before the runtime started, with the module of their egresses, until opened. */
  private readonly declared = new Map<KafkaSpecs, StatefunModule | undefined>();

  constructor(private readonly d: KafkaConnectorsDeps) {}

  /** Throws `STATEFUN_BAD_MODULE` when an id of `specs` already runs (for a module other than `replacing`). */
  check(specs: KafkaSpecs, replacing?: KafkaSpecs): void {
    const mine = new Set([...(replacing?.ingresses ?? []), ...(replacing?.egresses ?? [])].map((s) => s.id));
    for (const s of specs.ingresses) {
      if (this.ingresses.has(s.id) && !mine.has(s.id))
        throw new StatefunError("STATEFUN_BAD_MODULE", `Kafka ingress ${s.id} is declared twice`);
    }
    for (const s of specs.egresses) {
      if (this.egresses.has(s.id) && !mine.has(s.id))
        throw new StatefunError("STATEFUN_BAD_MODULE", `Kafka egress ${s.id} is declared twice`);
    }
  }

  /**
   * Declares the egresses of `specs` to the runtime before it starts: a worker restarted with
   * messages waiting runs them at once, and their Kafka records would be dead-lettered as written
   * to an egress no module declares if the declaration waited for `open`. `open(specs)` (the same
   * object) then starts them.
   */
  declare(specs: KafkaSpecs): void {
    this.check(specs);
    const egressModule = egressModuleOf(specs);
    if (egressModule) this.d.runtime.load(egressModule);
    this.declared.set(specs, egressModule);
  }

  /** Starts the ingresses and egresses of `specs` (the runtime is running); `close` stops them. */
  open(specs: KafkaSpecs): { close(): Promise<void> } {
    const { runtime, store, logger } = this.d;
    let egressModule: StatefunModule | undefined;
    if (this.declared.has(specs)) {
      egressModule = this.declared.get(specs);
      this.declared.delete(specs);
    } else {
      this.check(specs);
      egressModule = egressModuleOf(specs);
      if (egressModule) runtime.load(egressModule);
    }
    const started: { stop(): Promise<void> }[] = [];
    for (const spec of specs.egresses) {
      const egress = new KafkaEgress({
        spec,
        client: this.client(spec.address, spec.properties),
        outbox: {
          ordered: (after, limit, floor) => store.orderedEgress(after, limit, floor),
          order: () => store.egressOrder(),
          delete: (rows) => runtime.deleteDeliveredEgress(spec.id, rows),
          identity: () => outboxIdentity(runtime),
          committed: store.onEgressCommitted && ((listener) => store.onEgressCommitted!(listener)),
        },
        logger,
        turn: delivererTurn(store, `kafka-egress/${spec.id}`, runtime.workerName),
      });
      this.egresses.set(spec.id, egress);
      egress.start();
      started.push({
        stop: async () => {
          await egress.stop();
          this.egresses.delete(spec.id);
        },
      });
    }
    for (const spec of specs.ingresses) {
      const ingress = new KafkaIngress({
        spec,
        client: this.client(spec.address, spec.properties),
        sink: runtime.sources(),
        logger,
        routers: specs.routers?.get(spec.id),
      });
      this.ingresses.set(spec.id, ingress);
      ingress.start();
      started.push({
        stop: async () => {
          await ingress.stop();
          this.ingresses.delete(spec.id);
        },
      });
    }
    return {
      close: async () => {
        await Promise.allSettled(started.map((s) => s.stop()));
        if (egressModule) runtime.unload(egressModule);
      },
    };
  }

  /** What keeps the Kafka connectors from being ready, one line each (`/readyz`). */
  problems(): string[] {
    const lines: string[] = [];
    for (const [id, i] of this.ingresses) if (i.notReady !== undefined) lines.push(`Kafka ingress ${id}: ${i.notReady}`);
    for (const [id, e] of this.egresses) if (e.notReady !== undefined) lines.push(`Kafka egress ${id}: ${e.notReady}`);
    return lines;
  }

  /** The Kafka ingresses and egresses running, with what each waits for (`GET /v1/io`). */
  status(): { ingresses: KafkaIngressStatus[]; egresses: KafkaEgressStatus[] } {
    return { ingresses: [...this.ingresses.values()].map((i) => i.status()), egresses: [...this.egresses.values()].map((e) => e.status()) };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.ingresses.values()].map((i) => i.stop()));
    await Promise.allSettled([...this.egresses.values()].map((e) => e.stop()));
    this.ingresses.clear();
    this.egresses.clear();
  }

  private client(address: string, properties: ReadonlyMap<string, string>): KafkaClient {
    const factory = this.d.client ?? kafkajsClient;
    return factory({ brokers: brokersOf(address), clientId: properties.get("client.id") ?? "statefun-ts", properties });
  }
}

/** The module declaring the egress ids of `specs` (undefined: none). */
function egressModuleOf(specs: KafkaSpecs): StatefunModule | undefined {
  return specs.egresses.length > 0 ? statefunModule({ egresses: specs.egresses.map((s) => kafkaEgress(s.id)) }) : undefined;
}

/** The Kafka specs of YAML modules, together. */
export function kafkaSpecsOf(
  modules: readonly { kafkaIngresses?: readonly KafkaIngressSpec[]; kafkaEgresses?: readonly KafkaEgressSpec[] }[],
): KafkaSpecs {
  return { ingresses: modules.flatMap((m) => m.kafkaIngresses ?? []), egresses: modules.flatMap((m) => m.kafkaEgresses ?? []) };
}

/** The Kafka ingresses (with their typed routers) and egresses that code modules declare. */
export function kafkaSpecsOfModules(modules: readonly StatefunModule[]): KafkaSpecs {
  const declarations = modules.flatMap((m) => m.kafka ?? []);
  const ingresses = declarations.filter((d): d is KafkaIngressDeclaration => d.kind === "kafka-ingress");
  const egresses = declarations.filter((d): d is KafkaEgressDeclaration => d.kind === "kafka-egress");
  const routers = new Map<string, Map<string, KafkaRouter>>();
  for (const d of ingresses) {
    const byTopic = new Map<string, KafkaRouter>();
    for (const t of d.topics) {
      byTopic.set(t.topic, ({ key, value }) =>
        t.route({ key, value: t.type.deserialize(value) }).map((target) => ({ target, argument: { typename: t.type.typename, value } })),
      );
    }
    routers.set(d.id, byTopic);
  }
  return {
    ingresses: ingresses.map((d) => ({
      id: d.id,
      address: d.address,
      consumerGroupId: d.consumerGroupId,
      topics: d.topics.map((t) => ({ topic: t.topic, valueType: t.type.typename, targets: [] })),
      autoOffsetResetPosition: d.autoOffsetResetPosition ?? "latest",
      startupPosition: { type: d.startupPosition ?? "group-offsets" },
      properties: new Map(Object.entries(d.properties ?? {})),
    })),
    egresses: egresses.map((d) => ({
      id: d.id,
      address: d.address,
      deliverySemantic:
        d.deliverySemantic === "exactly-once"
          ? { type: "exactly-once", transactionTimeoutMs: d.transactionTimeoutMs ?? 60_000 }
          : { type: d.deliverySemantic ?? "at-least-once" },
      properties: new Map(Object.entries(d.properties ?? {})),
    })),
    routers,
  };
}

/** Two sets of Kafka specs as one. */
export function mergeKafkaSpecs(a: KafkaSpecs, b: KafkaSpecs): KafkaSpecs {
  return {
    ingresses: [...a.ingresses, ...b.ingresses],
    egresses: [...a.egresses, ...b.egresses],
    routers: new Map([...(a.routers ?? []), ...(b.routers ?? [])]),
  };
}

/** One worker of a cluster delivers each Kafka egress: the store's deliverer lease `name`, held under this worker's name. */
function delivererTurn(store: Store, name: string, owner: string): DelivererTurn {
  return {
    claim: async () => (await store.claimDeliverer(name, owner)).owner === owner,
    release: () => store.releaseDeliverer(name, owner),
  };
}

/**
 * The identity of the store's outbox, made once (a random number, stored with the source
 * positions under `kafka-egress` / `outbox`, the first writer wins) and read by every worker.
 */
async function outboxIdentity(runtime: Runtime): Promise<number> {
  const sink = runtime.sources();
  for (;;) {
    const known = (await sink.positions("kafka-egress")).get("outbox");
    if (known !== undefined) return known;
    const fresh = Math.floor(Math.random() * 2 ** 48);
    const result = await sink.advance({
      source: "kafka-egress",
      partition: "outbox",
      from: null,
      to: fresh,
      messages: [],
      deadLetters: [],
    });
    if (result === "committed") return fresh;
  }
}
