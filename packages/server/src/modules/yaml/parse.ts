import { resolve } from "node:path";
import { readDocuments } from "./documents.js";
import { badModule } from "./errors.js";
import { readPem } from "./files.js";
import { decryptKey, readKeyPassword } from "./key-password.js";
import { addDocument, type ModuleDraft } from "./kinds.js";
import { addVersionedDocument, isVersionedLayout } from "./legacy.js";
import type { HttpEndpointSpec, YamlModule } from "./types.js";

export interface ParseModuleYamlOptions {
  /** Where relative certificate and key paths resolve (default: the working directory; for a file, its directory). */
  readonly baseDir?: string;
}

/**
 * Parses a StateFun 3.x module YAML (multi-document `kind`/`spec`): HTTP endpoints and the
 * playground ingress and egress. Certificates and keys it references are read. Every error
 * names `source`, the document and the field (`STATEFUN_BAD_MODULE`).
 *
 * @example
 * const module = await parseModuleYaml(yamlText, "greeter");
 * module.endpoints[0]; // { functions: "example/*", urlPathTemplate: "http://localhost:8000/statefun" }
 */
export async function parseModuleYaml(text: string, source: string, options: ParseModuleYamlOptions = {}): Promise<YamlModule> {
  const draft = parseModuleDraft(text, source);
  const baseDir = options.baseDir ?? process.cwd();
  const problems: string[] = [];
  const endpoints: HttpEndpointSpec[] = [];
  for (const { label, draft: endpoint } of draft.endpoints) {
    if (endpoint.tls.length === 0) {
      endpoints.push(endpoint.spec);
      continue;
    }
    const tls: Record<string, string> = {};
    for (const { name, field, ref } of endpoint.tls) {
      try {
        tls[name] = await readPem(ref, baseDir);
      } catch (error) {
        problems.push(`${label}: ${field}: ${(error as Error).message}`);
      }
    }
    const { keyPassword } = endpoint;
    if (keyPassword !== undefined && tls.key !== undefined) {
      try {
        tls.key = decryptKey(tls.key, await readKeyPassword(keyPassword.ref, baseDir));
      } catch (error) {
        problems.push(`${label}: ${keyPassword.field}: ${(error as Error).message}`);
      }
    }
    endpoints.push({ ...endpoint.spec, tls });
  }
  if (problems.length > 0) throw badModule(problems);
  const kafka =
    draft.kafkaIngresses.length + draft.kafkaEgresses.length === 0
      ? {}
      : { kafkaIngresses: draft.kafkaIngresses, kafkaEgresses: draft.kafkaEgresses };
  const module: YamlModule = { source, endpoints, ingresses: draft.ingresses, egresses: draft.egresses, ...kafka };
  return draft.embedded.length === 0 ? module : { ...module, embedded: draft.embedded.map((e) => ({ path: resolve(baseDir, e.path) })) };
}

/** Validates the documents, without reading any file. */
export function parseModuleDraft(text: string, source: string): ModuleDraft {
  const documents = readDocuments(text, source);
  const first = documents[0];
  if (first === undefined) {
    throw badModule([`${source}: no documents: expected kind/spec documents such as "kind: io.statefun.endpoints.v2/http"`]);
  }
  const module: ModuleDraft = { source, endpoints: [], ingresses: [], egresses: [], embedded: [], kafkaIngresses: [], kafkaEgresses: [] };
  const problems = isVersionedLayout(first.value)
    ? addVersionedDocument(module, first.value as object, documents.length)
    : documents.flatMap((d) => addDocument(module, d.value, d.index));
  if (problems.length > 0) throw badModule(problems);
  return module;
}
