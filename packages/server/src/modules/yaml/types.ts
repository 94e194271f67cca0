import type { KafkaEgressSpec, KafkaIngressSpec } from "@statefun-ts/kafka";
import type { HttpEndpointSpec } from "@statefun-ts/remote";

/** What `io.statefun.kafka.v1/ingress` and `io.statefun.kafka.v1/egress` documents declare, validated. */
/** What a remote binding takes: the `spec` of an `io.statefun.endpoints.v2/http` document, validated. */
export type { HttpEndpointSpec, KafkaEgressSpec, KafkaIngressSpec };

/** `io.statefun.playground.v1/ingress`: the HTTP ingress, on `port` unless the command line sets one. */
export interface PlaygroundIngressSpec {
  readonly port?: number;
}

/** `io.statefun.playground.v1/egress`: the HTTP egress serving `GET /{topic}` for each topic. */
export interface PlaygroundEgressSpec {
  readonly port?: number;
  readonly topics: readonly string[];
}

/** `io.statefun-ts.v1/module`: an embedded module file, `path` relative to the module file (or the working directory). */
export interface EmbeddedModuleSpec {
  readonly path: string;
}

/**
 * A parsed module file (or module YAML given as text): remote endpoints to bind, and the
 * playground ingress and egress it declares. `source` names it in every error.
 */
export interface YamlModule {
  readonly source: string;
  readonly endpoints: readonly HttpEndpointSpec[];
  readonly ingresses: readonly PlaygroundIngressSpec[];
  readonly egresses: readonly PlaygroundEgressSpec[];
  /** Embedded module files (`io.statefun-ts.v1/module`), paths as written. */
  readonly embedded?: readonly EmbeddedModuleSpec[];
  /** Kafka ingresses and egresses (`io.statefun.kafka.v1/ingress|egress`). */
  readonly kafkaIngresses?: readonly KafkaIngressSpec[];
  readonly kafkaEgresses?: readonly KafkaEgressSpec[];
}

/** Tells a parsed YAML module from an embedded (TypeScript) module. */
export function isYamlModule(value: unknown): value is YamlModule {
  return (
    typeof value === "object" &&
    value !== null &&
    Array.isArray((value as YamlModule).endpoints) &&
    Array.isArray((value as YamlModule).ingresses) &&
    Array.isArray((value as YamlModule).egresses) &&
    typeof (value as YamlModule).source === "string"
  );
}
