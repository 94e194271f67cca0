import { z } from "zod";
import { describeValue } from "./describe.js";
import { endpointV1 } from "./endpoint.js";
import { issueLines } from "./errors.js";
import { refused, strict } from "./fields.js";
import type { ModuleDraft } from "./kinds.js";

const NOT_ROUTED =
  "ingresses and egresses of the version 3.0 layout (Kafka, Kinesis) are not supported: declare them as kind/spec documents";

/**
 * StateFun 3.0's single-document layout (`version: "3.0"`, `module.spec.endpoints`): its HTTP
 * endpoints are the same as `io.statefun.endpoints.v1/http`.
 */
const layout = strict({
  version: z.unknown(),
  module: strict({
    meta: strict({ type: z.literal("remote") }),
    spec: strict({
      endpoints: z.array(strict({ endpoint: strict({ meta: strict({ kind: z.literal("http") }), spec: endpointV1 }) })).optional(),
      ingresses: refused(NOT_ROUTED).optional(),
      egresses: refused(NOT_ROUTED).optional(),
    }),
  }),
});

/** True for a document in a pre-`kind` layout (it has `version` and no `kind`). */
export function isVersionedLayout(document: unknown): boolean {
  return typeof document === "object" && document !== null && "version" in document && !("kind" in document);
}

/** Adds the endpoints of a version 3.0 module document; other versions are refused. Returns problems, one line each. */
export function addVersionedDocument(module: ModuleDraft, document: object, documents: number): string[] {
  const version = (document as { version?: unknown }).version;
  const shown = typeof version === "string" || typeof version === "number" ? String(version) : describeValue(version);
  const label = `${module.source} (version ${shown} layout)`;
  if (version !== "3.0" && version !== 3) {
    return [
      `${label}: version: module files of version ${shown} (StateFun 2.x and older) are not supported: write StateFun 3.x kind/spec documents such as "kind: io.statefun.endpoints.v2/http"`,
    ];
  }
  if (documents > 1) return [`${label}: expected a single document, got ${documents}`];
  const parsed = layout.safeParse(document, { reportInput: true });
  if (!parsed.success) return issueLines(parsed.error.issues).map((line) => `${label}: ${line}`);
  parsed.data.module.spec.endpoints?.forEach(({ endpoint }, i) => {
    module.endpoints.push({ label: `${label}, endpoint ${i + 1}`, draft: endpoint.spec });
  });
  return [];
}
