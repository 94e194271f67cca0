import { StatefunError } from "@statefun-ts/protocol";
import fc from "fast-check";
import { describe, it } from "vitest";
import { stringify } from "yaml";
import { parseModuleDraft } from "./parse.js";

/** Parsing outside input either succeeds or fails with STATEFUN_BAD_MODULE: never another error, never a hang. */
function parsesOrRefuses(text: string): void {
  try {
    parseModuleDraft(text, "fuzz.yaml");
  } catch (error) {
    if (!(error instanceof StatefunError) || error.code !== "STATEFUN_BAD_MODULE" || !error.message.startsWith("fuzz.yaml")) throw error;
  }
}

const kinds = fc.constantFrom(
  "io.statefun.endpoints.v2/http",
  "io.statefun.endpoints.v1/http",
  "io.statefun.playground.v1/ingress",
  "io.statefun.playground.v1/egress",
  "io.statefun.kafka.v1/ingress",
);
const fields = fc.constantFrom(
  "functions",
  "urlPathTemplate",
  "maxNumBatchRequests",
  "transport",
  "timeouts",
  "call",
  "port",
  "topics",
  "type",
  "trust_cacerts",
);

describe("module YAML parsing (fuzzed)", () => {
  it("refuses arbitrary text cleanly", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), parsesOrRefuses), { numRuns: 300 });
  });

  it("refuses arbitrary documents of known kinds cleanly", () => {
    const spec = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, fc.jsonValue({ maxDepth: 1 }), tie("object")),
      object: fc.dictionary(fields, tie("value"), { maxKeys: 4 }),
    })).object;
    const document = fc.record({ kind: kinds, spec });
    fc.assert(
      fc.property(fc.array(document, { minLength: 1, maxLength: 3 }), (docs) =>
        parsesOrRefuses(docs.map((d) => stringify(d)).join("---\n")),
      ),
      { numRuns: 300 },
    );
  });
});
