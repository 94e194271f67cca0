import { type RemoteBinding, remoteBinding } from "@statefun-ts/remote";
import type { Logger, StateSpecRegistry } from "@statefun-ts/runtime";
import type { StatefunModule } from "@statefun-ts/sdk";
import { type KafkaSpecs, kafkaSpecsOf, kafkaSpecsOfModules, mergeKafkaSpecs } from "../kafka/connectors.js";
import { stringEgresses } from "../modules/install.js";
import { loadModuleFile } from "../modules/load.js";
import { badModule } from "../modules/yaml/errors.js";
import { parseModuleYaml } from "../modules/yaml/parse.js";
import type { HttpEndpointSpec } from "../modules/yaml/types.js";
import { parseFunctionBody } from "./function-body.js";

/** What one registry entry (a module, or a function binding) loads into the worker once applied. */
export interface Prepared {
  readonly kind: "module" | "function";
  readonly name: string;
  readonly body: string;
  /** Function types and namespaces (`ns/*`) it binds. */
  readonly typenames: readonly string[];
  readonly bindings: readonly RemoteBinding[];
  /** Embedded code modules, and one module declaring its playground egress topics. */
  readonly modules: readonly StatefunModule[];
  readonly topics: readonly string[];
  /** Playground ingress ports it declares. */
  readonly ingressPorts: readonly number[];
  /** Embedded module files. */
  readonly files: readonly string[];
  /** Kafka ingresses and egresses (`io.statefun.kafka.v1/ingress|egress`). */
  readonly kafka?: KafkaSpecs | undefined;
}

export interface PrepareDeps {
  readonly specs: StateSpecRegistry;
  readonly logger: Logger;
  /** Where relative paths of a module given as text resolve. */
  readonly baseDir: string;
  /** Egress topics already declared by others (not declared again). */
  readonly declaredTopics: ReadonlySet<string>;
  /** A tag unique per load: a changed embedded module file is imported anew. */
  readonly loadTag: () => string;
}

/** Validates a module YAML and loads what it names, applying nothing. Errors name the document and the field. */
export async function prepareModule(name: string, body: string, deps: PrepareDeps): Promise<Prepared> {
  const yaml = await parseModuleYaml(body, `module ${name}`, { baseDir: deps.baseDir });
  const modules: StatefunModule[] = [];
  const files = (yaml.embedded ?? []).map((e) => e.path);
  for (const file of files) modules.push(await loadModuleFile(file, deps.baseDir, deps.loadTag()));
  const topics = [...new Set(yaml.egresses.flatMap((e) => e.topics))].filter((t) => !deps.declaredTopics.has(t));
  if (topics.length > 0) modules.push(stringEgresses(topics));
  const typenames = [...yaml.endpoints.map((e) => e.functions), ...modules.flatMap((m) => m.functions.map((f) => f.typename))];
  const twice = typenames.find((t, i) => typenames.indexOf(t) !== i);
  if (twice !== undefined) throw badModule([`module ${name}: ${twice} is bound twice in this module`]);
  const ingressPorts = yaml.ingresses.flatMap((i) => (i.port === undefined ? [] : [i.port]));
  const bindings = bindAll(`module ${name}`, yaml.endpoints, deps);
  const kafka = mergeKafkaSpecs(kafkaSpecsOf([yaml]), kafkaSpecsOfModules(modules));
  const withKafka = kafka.ingresses.length + kafka.egresses.length > 0 ? { kafka } : {};
  return { kind: "module", name, body, typenames, bindings, modules, topics, ingressPorts, files, ...withKafka };
}

/** Validates a function binding body and makes its remote binding, applying nothing. */
export function prepareFunction(typename: string, body: string, deps: PrepareDeps): Prepared {
  const spec = parseFunctionBody(typename, body);
  const bindings = bindAll(`function ${typename}`, [spec], deps);
  return { kind: "function", name: typename, body, typenames: [typename], bindings, modules: [], topics: [], ingressPorts: [], files: [] };
}

function bindAll(source: string, specs: readonly HttpEndpointSpec[], deps: PrepareDeps): RemoteBinding[] {
  const bindings: RemoteBinding[] = [];
  try {
    for (const spec of specs) bindings.push(remoteBinding(spec, { specs: deps.specs, logger: deps.logger }));
  } catch (error) {
    for (const b of bindings) void b.close();
    throw badModule([`${source}: ${(error as Error).message}`], error);
  }
  return bindings;
}
