import { realpath } from "node:fs/promises";
import { isAbsolute, relative } from "node:path";
import { StatefunError } from "@statefun-ts/protocol";
import { type RemoteBinding, remoteBinding } from "@statefun-ts/remote";
import type { Logger, MetricsSink, RemoteStateSpecs } from "@statefun-ts/runtime";
import type { StatefunModule } from "@statefun-ts/sdk";
import { type KafkaSpecs, kafkaSpecsOf, kafkaSpecsOfModules, mergeKafkaSpecs } from "../kafka/connectors.js";
import { stringEgresses } from "../modules/install.js";
import { loadModuleFile } from "../modules/load.js";
import { badModule } from "../modules/yaml/errors.js";
import { parseModuleYaml } from "../modules/yaml/parse.js";
import type { HttpEndpointSpec } from "../modules/yaml/types.js";
import { parseFunctionBody } from "./function-body.js";

/** What one module catalog entry (a module, or a function binding) loads into the worker once applied. */
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
  readonly specs: RemoteStateSpecs;
  readonly logger: Logger;
  /** Counts the remote endpoints' retried attempts. */
  readonly metrics?: MetricsSink | undefined;
  /** Where relative paths of a module given as text resolve. */
  readonly baseDir: string;
  /** Egress topics already declared by others (not declared again). */
  readonly declaredTopics: ReadonlySet<string>;
  /** A tag unique per load: a changed embedded module file is imported anew. */
  readonly loadTag: () => string;
  /**
   * Checks what can be checked before any module code runs (the endpoints' function types and
   * the ingress ports): it throws to refuse the change.
   */
  readonly precheck: (declared: { readonly typenames: readonly string[]; readonly ingressPorts: readonly number[] }) => void;
  /** The worker's egress port as declared; a module's playground egress may name no other. */
  readonly egressPort?: number | undefined;
  /** How long importing one embedded module file may take. */
  readonly importTimeoutMs: number;
  /** When given, embedded module files must lie in one of these directories (`--modules-dir`). */
  readonly modulesDirs?: readonly string[] | undefined;
}

/** Validates a module YAML and loads what it names, applying nothing. Errors name the document and the field. */
export async function prepareModule(name: string, body: string, deps: PrepareDeps): Promise<Prepared> {
  const yaml = await parseModuleYaml(body, `module ${name}`, { baseDir: deps.baseDir });
  const ingressPorts = yaml.ingresses.flatMap((i) => (i.port === undefined ? [] : [i.port]));
  for (const egress of yaml.egresses) {
    if (egress.port !== undefined && egress.port !== deps.egressPort) {
      throw badModule([
        `module ${name}: egress port ${egress.port}: a module loaded through the admin API serves its topics on the worker's egress server (port ${deps.egressPort ?? "?"}); drop the port, or give that one`,
      ]);
    }
  }
  // Everything that can be checked without running the embedded files' code, first.
  deps.precheck({ typenames: yaml.endpoints.map((e) => e.functions), ingressPorts });
  const bindings = bindAll(`module ${name}`, yaml.endpoints, deps);
  try {
    const files = (yaml.embedded ?? []).map((e) => e.path);
    for (const file of files) await checkModulesDir(name, file, deps.modulesDirs);
    const modules: StatefunModule[] = [];
    for (const file of files) modules.push(await importWithDeadline(name, file, deps));
    const yamlTopics = [...new Set(yaml.egresses.flatMap((e) => e.topics))];
    const newTopics = yamlTopics.filter((t) => !deps.declaredTopics.has(t) && !modules.some((m) => m.egresses.some((e) => e.topic === t)));
    // Every topic the module declares, listed; a string egress made only for those nobody declares yet.
    const topics = [...new Set([...modules.flatMap((m) => m.egresses.map((e) => e.topic)), ...yamlTopics])];
    if (newTopics.length > 0) modules.push(stringEgresses(newTopics));
    const typenames = [...yaml.endpoints.map((e) => e.functions), ...modules.flatMap((m) => m.functions.map((f) => f.typename))];
    const twice = typenames.find((t, i) => typenames.indexOf(t) !== i);
    if (twice !== undefined) throw badModule([`module ${name}: ${twice} is bound twice in this module`]);
    const kafka = mergeKafkaSpecs(kafkaSpecsOf([yaml]), kafkaSpecsOfModules(modules));
    const withKafka = kafka.ingresses.length + kafka.egresses.length > 0 ? { kafka } : {};
    return { kind: "module", name, body, typenames, bindings, modules, topics, ingressPorts, files, ...withKafka };
  } catch (error) {
    for (const b of bindings) void b.close();
    throw error;
  }
}

/** Imports an embedded module file, failing with STATEFUN_TIMEOUT when it does not settle in time (its code may still run on). */
async function importWithDeadline(name: string, file: string, deps: PrepareDeps): Promise<StatefunModule> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StatefunError(
            "STATEFUN_TIMEOUT",
            `module ${name}: importing ${file} did not finish within ${deps.importTimeoutMs} ms (does its top-level code wait for something that never comes?)`,
          ),
        ),
      deps.importTimeoutMs,
    );
  });
  try {
    return await Promise.race([loadModuleFile(file, deps.baseDir, deps.loadTag()), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** With `--modules-dir`, an embedded module file must resolve (links followed) inside one of the directories. */
async function checkModulesDir(name: string, file: string, dirs: readonly string[] | undefined): Promise<void> {
  if (dirs === undefined) return;
  const real = await realpath(file).catch(() => file);
  const inside = await Promise.all(
    dirs.map(async (dir) => {
      const rel = relative(await realpath(dir).catch(() => dir), real);
      return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
    }),
  );
  if (!inside.includes(true)) {
    throw badModule([
      `module ${name}: ${file} is not inside a directory given with --modules-dir (${dirs.join(", ")}); only module files there may be loaded through the admin API`,
    ]);
  }
}

/** Validates a function binding body and makes its remote binding, applying nothing. */
export function prepareFunction(typename: string, body: string, deps: PrepareDeps): Prepared {
  const spec = parseFunctionBody(typename, body);
  deps.precheck({ typenames: [typename], ingressPorts: [] });
  const bindings = bindAll(`function ${typename}`, [spec], deps);
  return { kind: "function", name: typename, body, typenames: [typename], bindings, modules: [], topics: [], ingressPorts: [], files: [] };
}

function bindAll(source: string, specs: readonly HttpEndpointSpec[], deps: PrepareDeps): RemoteBinding[] {
  const bindings: RemoteBinding[] = [];
  try {
    for (const spec of specs) bindings.push(remoteBinding(spec, { specs: deps.specs, logger: deps.logger, metrics: deps.metrics }));
  } catch (error) {
    for (const b of bindings) void b.close();
    throw badModule([`${source}: ${(error as Error).message}`], error);
  }
  return bindings;
}
