import { z } from "zod";
import { describeValue } from "./describe.js";
import { type EndpointDraft, endpointV1, endpointV2 } from "./endpoint.js";
import { documentLabel, issueLines } from "./errors.js";
import { embeddedModule, strict } from "./fields.js";
import { kafkaEgress, kafkaIngress } from "./kafka.js";
import { playgroundEgress, playgroundIngress } from "./playground.js";
import type { EmbeddedModuleSpec, KafkaEgressSpec, KafkaIngressSpec, PlaygroundEgressSpec, PlaygroundIngressSpec } from "./types.js";

/** A module file as validated, before certificate files are read. */
export interface ModuleDraft {
  readonly source: string;
  readonly endpoints: { readonly label: string; readonly draft: EndpointDraft }[];
  readonly ingresses: PlaygroundIngressSpec[];
  readonly egresses: PlaygroundEgressSpec[];
  readonly embedded: EmbeddedModuleSpec[];
  readonly kafkaIngresses: KafkaIngressSpec[];
  readonly kafkaEgresses: KafkaEgressSpec[];
}

interface Kind<T> {
  readonly spec: z.ZodType<T>;
  add(module: ModuleDraft, value: T, label: string): void;
}

const kind = <T>(spec: z.ZodType<T>, add: Kind<T>["add"]): Kind<T> => ({ spec, add });

const endpoint = (spec: z.ZodType<EndpointDraft>) => kind(spec, (m, draft, label) => void m.endpoints.push({ label, draft }));

/** Our own kind: an embedded TypeScript (or JavaScript) module file, `spec: { path: ./module.ts }`. */
export const EMBEDDED_MODULE_KIND = "io.statefun-ts.v1/module";

const KINDS: Record<string, Kind<any>> = {
  "io.statefun.endpoints.v2/http": endpoint(endpointV2),
  "io.statefun.endpoints.v1/http": endpoint(endpointV1),
  "io.statefun.playground.v1/ingress": kind(playgroundIngress, (m, spec) => void m.ingresses.push(spec)),
  "io.statefun.playground.v1/egress": kind(playgroundEgress, (m, spec) => void m.egresses.push(spec)),
  "io.statefun.kafka.v1/ingress": kind(kafkaIngress, (m, spec) => void m.kafkaIngresses.push(spec)),
  "io.statefun.kafka.v1/egress": kind(kafkaEgress, (m, spec) => void m.kafkaEgresses.push(spec)),
  [EMBEDDED_MODULE_KIND]: kind(embeddedModule, (m, spec) => void m.embedded.push(spec)),
};

/** Kinds of StateFun we know of and do not run (yet). */
const NOT_YET: Record<string, string> = {
  "io.statefun.kinesis.v1/ingress": "Kinesis ingresses are not supported",
  "io.statefun.kinesis.v1/egress": "Kinesis egresses are not supported",
};

export const SUPPORTED_KINDS: readonly string[] = Object.keys(KINDS);

/** Validates document `index` (1-based) and adds what it declares to `module`; returns its problems, one line each. */
export function addDocument(module: ModuleDraft, document: unknown, index: number): string[] {
  const { source } = module;
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    return [`${documentLabel(source, index)}: expected a mapping with kind and spec, got ${describeValue(document)}`];
  }
  const name = (document as { kind?: unknown }).kind;
  if (typeof name !== "string") {
    const problem = name === undefined ? "required" : `expected a string, got ${describeValue(name)}`;
    return [`${documentLabel(source, index)}: kind: ${problem} (supported kinds: ${SUPPORTED_KINDS.join(", ")})`];
  }
  const label = documentLabel(source, index, name);
  const known = KINDS[name];
  if (known === undefined) {
    const reason = NOT_YET[name] ?? "unknown kind";
    return [`${label}: kind: ${reason} (supported kinds: ${SUPPORTED_KINDS.join(", ")})`];
  }
  const parsed = strict({ kind: z.string(), spec: known.spec }).safeParse(document, { reportInput: true });
  if (!parsed.success) return issueLines(parsed.error.issues).map((line) => `${label}: ${line}`);
  known.add(module, parsed.data.spec, label);
  return [];
}
