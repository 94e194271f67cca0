import { StatefunError } from "@statefun-ts/protocol";
import { type RemoteBinding, remoteBinding } from "@statefun-ts/remote";
import type { Logger, MetricsSink, Runtime } from "@statefun-ts/runtime";
import { egressRef, type StatefunModule, statefunModule, Types } from "@statefun-ts/sdk";
import type { HttpEndpointSpec, YamlModule } from "./yaml/types.js";

/** What the YAML modules of a worker ask of it, checked across files. */
export interface YamlPlan {
  /** Ports of the playground ingress and egress, when a module declares them. */
  readonly ports: { readonly ingress?: number; readonly egress?: number };
  readonly topics: readonly string[];
  readonly endpoints: readonly { readonly source: string; readonly spec: HttpEndpointSpec }[];
}

/** Merges YAML modules: one worker has one ingress and one egress port, and one endpoint per function type. */
export function planYamlModules(modules: readonly YamlModule[]): YamlPlan {
  const ports: { ingress?: number; egress?: number } = {};
  const portSources: { ingress?: string; egress?: string } = {};
  const claim = (name: "ingress" | "egress", port: number | undefined, source: string) => {
    if (port === undefined) return;
    if (ports[name] !== undefined && ports[name] !== port) {
      throw bad(
        `playground ${name} port: ${portSources[name]} declares ${ports[name]} and ${source} declares ${port}; a worker has one ${name} port`,
      );
    }
    ports[name] = port;
    portSources[name] = source;
  };
  const topics = new Set<string>();
  const endpoints = new Map<string, { source: string; spec: HttpEndpointSpec }>();
  for (const module of modules) {
    for (const ingress of module.ingresses) claim("ingress", ingress.port, module.source);
    for (const egress of module.egresses) {
      claim("egress", egress.port, module.source);
      for (const topic of egress.topics) topics.add(topic);
    }
    for (const spec of module.endpoints) {
      const existing = endpoints.get(spec.functions);
      if (existing !== undefined) {
        throw bad(
          `${spec.functions} has two endpoints: ${existing.spec.urlPathTemplate} (${existing.source}) and ${spec.urlPathTemplate} (${module.source})`,
        );
      }
      endpoints.set(spec.functions, { source: module.source, spec });
    }
  }
  return { ports, topics: [...topics], endpoints: [...endpoints.values()] };
}

/**
 * Declares the egress topics (as strings, unless a code module declares the topic already) and
 * binds the endpoints on the runtime. Closing it closes the remote bindings.
 */
export function installYamlPlan(
  runtime: Runtime,
  plan: YamlPlan,
  deps: { readonly logger: Logger; readonly metrics?: MetricsSink | undefined },
): { close(): Promise<void> } {
  const { logger, metrics } = deps;
  const declared = new Set(runtime.egresses().map((e) => e.topic));
  const topics = plan.topics.filter((topic) => !declared.has(topic));
  if (topics.length > 0) runtime.load(stringEgresses(topics));

  const bindings: RemoteBinding[] = [];
  const close = async () => {
    // Only when the worker stops: calls still retrying end now, and run again at the next start.
    const results = await Promise.allSettled(bindings.map((b) => b.close({ abort: true })));
    for (const r of results) if (r.status === "rejected") logger.warn({ err: r.reason }, "closing a remote binding failed");
  };
  try {
    for (const { source, spec } of plan.endpoints) {
      if (runtime.function(spec.functions) !== undefined) {
        throw bad(`${source}: ${spec.functions} is both an embedded function and a remote endpoint (${spec.urlPathTemplate})`);
      }
      let binding: RemoteBinding;
      try {
        binding = remoteBinding(spec, { specs: runtime.stateSpecs, logger, metrics });
      } catch (cause) {
        const message = (cause as Error).message;
        throw bad(`${source}: ${message.includes(spec.functions) ? message : `endpoint ${spec.functions}: ${message}`}`, cause);
      }
      bindings.push(binding);
      runtime.bind(binding);
    }
  } catch (error) {
    void close();
    throw error;
  }
  return { close };
}

/** A module declaring the playground egress topics of YAML modules (their messages are strings). */
export function stringEgresses(topics: readonly string[]): StatefunModule {
  return statefunModule({ egresses: topics.map((topic) => egressRef(topic, Types.string)) });
}

function bad(message: string, cause?: unknown): StatefunError {
  return new StatefunError("STATEFUN_BAD_MODULE", message, cause === undefined ? {} : { cause });
}
